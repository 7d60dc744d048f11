// Which database a running Synapse serves from, seen on the system: its role's sessions in PostgreSQL (pg_stat_activity, asked
// with the config's own credentials), or a process holding the SQLite file open. Read-only; never throws.
import { promises as fs } from 'node:fs';
import pg from 'pg';
import { nodePgSsl, SSL_MODES, type SslMode } from '../adapters/pg-tls.js';
import type { LoadedConfig } from '../config/load.js';

export interface Serving {
  database: 'postgres' | 'sqlite' | 'unknown';
  evidence: string;
}

/** The config's own sslmode/sslrootcert (a path as Synapse sees it: status reads it as it is). */
function tlsOf(args: Record<string, unknown>): ReturnType<typeof nodePgSsl> {
  const mode = typeof args.sslmode === 'string' && (SSL_MODES as readonly string[]).includes(args.sslmode) ? (args.sslmode as SslMode) : undefined;
  try {
    return nodePgSsl({ sslmode: mode, sslrootcert: typeof args.sslrootcert === 'string' ? args.sslrootcert : undefined }, String(args.host ?? 'localhost'));
  } catch {
    return { rejectUnauthorized: false };
  }
}

async function postgresSessions(args: Record<string, unknown>, timeoutMs: number): Promise<number> {
  const c = new pg.Client({
    host: String(args.host ?? 'localhost'),
    port: Number(args.port ?? 5432),
    user: args.user === undefined ? undefined : String(args.user),
    password: args.password === undefined ? undefined : String(args.password),
    database: String(args.dbname ?? args.database ?? ''),
    connectionTimeoutMillis: timeoutMs,
    ssl: tlsOf(args),
  });
  c.on('error', () => undefined);
  try {
    await c.connect();
    const r = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = current_user AND datname = current_database() AND pid <> pg_backend_pid()`);
    return r.rows[0]?.n ?? 0;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Pids of processes (other than this one) that hold `path` open. */
async function holders(path: string): Promise<number[]> {
  const real = await fs.realpath(path).catch(() => path);
  const out: number[] = [];
  for (const d of await fs.readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    const fds = await fs.readdir(`/proc/${d}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      if ((await fs.readlink(`/proc/${d}/fd/${fd}`).catch(() => '')) === real) {
        out.push(Number(d));
        break;
      }
    }
  }
  return out;
}

export async function servingDatabase(loaded: LoadedConfig, sqliteHostPath: string | undefined, timeoutMs = 1500): Promise<Serving> {
  const db = loaded.database;
  if (db?.name === 'psycopg2') {
    try {
      const n = await postgresSessions((db.args ?? {}) as Record<string, unknown>, timeoutMs);
      return n > 0 ? { database: 'postgres', evidence: `its role has ${n} session(s) in ${String(db.args?.dbname ?? db.args?.database)} (pg_stat_activity)` } : { database: 'unknown', evidence: `the config names PostgreSQL, but its role has no session in ${String(db.args?.dbname ?? db.args?.database)}` };
    } catch (e) {
      return { database: 'unknown', evidence: `the config names PostgreSQL, which cannot be asked: ${(e as Error).message.split('\n')[0]}` };
    }
  }
  if (sqliteHostPath) {
    const pids = await holders(sqliteHostPath);
    return pids.length ? { database: 'sqlite', evidence: `pid ${pids.join(', ')} holds ${sqliteHostPath} open` } : { database: 'unknown', evidence: `nothing holds ${sqliteHostPath} open` };
  }
  return { database: 'unknown', evidence: 'the config names neither PostgreSQL nor a SQLite file' };
}
