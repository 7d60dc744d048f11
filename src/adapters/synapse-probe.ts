// The ground truth about Synapse's database connection: psycopg2 in Synapse's own environment (the exec prefix) with every key
// of database.args, a read of schema_version and a rolled-back write. psycopg2 gives no SQLSTATE for a refused login, so the
// same login is reproduced with node-postgres to read the server's error code (language-independent, unlike its text).
import { nodePgSsl, type PgTls } from './pg-tls.js';
import pg from 'pg';
import { formatArgv, type Executor } from './exec.js';
import { redact } from '../core/redact.js';
import { PROBE_MARK, probeScript } from './synapse-probe-py.js';

export type ProbeStage = 'import' | 'connect' | 'read' | 'write' | 'done' | 'run';

export interface ProbeResult {
  ok: boolean;
  /** What connected: psycopg2 in Synapse's environment, or node-postgres when no Synapse environment could be asked. */
  driver: string;
  /** How it ran (the argv through the exec prefix, without the secret request). */
  via: string;
  stage: ProbeStage;
  /** SQLSTATE of the failure: from psycopg2 (queries) or from reproducing the login with node-postgres (connect). */
  sqlstate?: string;
  /** The error text exactly as the driver gave it (redacted). */
  error?: string;
  /** Network-level failure code of the reproduction (ECONNREFUSED, ENOTFOUND...). */
  netcode?: string;
  user?: string;
  serverVersionNum?: number;
  schemaVersion?: number | null;
  /** The database.args keys the connection used. */
  argKeys: string[];
}

const CP = new Set(['cp_min', 'cp_max', 'cp_name', 'cp_noisy', 'cp_openfun', 'cp_reconnect', 'cp_good_sql']);

/** psycopg2 through the exec prefix; stage 'import' means Synapse's Python has no psycopg2 (or libpq). */
export async function probeWithPsycopg2(exec: Executor, args: Record<string, unknown>, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<ProbeResult> {
  const argv = ['python3', '-'];
  const via = formatArgv(exec.wrap(argv));
  const argKeys = Object.keys(args).filter((k) => !CP.has(k));
  const req = Buffer.from(JSON.stringify({ args }), 'utf8').toString('base64');
  const r = await exec.run(argv, { input: probeScript(req), timeoutMs: opts.timeoutMs ?? 60_000, signal: opts.signal });
  const line = r.stdout.split('\n').find((l) => l.startsWith(PROBE_MARK));
  if (!line) {
    const why = r.spawnError ?? (r.timedOut ? 'timed out' : (r.stderr.trim().split('\n').pop() ?? `exit code ${r.exitCode}`));
    return { ok: false, driver: 'psycopg2', via, stage: 'run', error: redact(`could not run Synapse's Python: ${why}`), argKeys };
  }
  const a = JSON.parse(line.slice(PROBE_MARK.length)) as { ok: boolean; stage: ProbeStage; pgcode?: string | null; error?: string; driver?: string; user?: string; serverVersionNum?: number; schemaVersion?: number | null };
  return {
    ok: a.ok,
    driver: a.driver ?? 'psycopg2',
    via,
    stage: a.stage,
    sqlstate: a.pgcode ?? undefined,
    error: a.error === undefined ? undefined : redact(a.error),
    user: a.user,
    serverVersionNum: a.serverVersionNum,
    schemaVersion: a.schemaVersion,
    argKeys,
  };
}

const str = (v: unknown) => (v === undefined || v === null ? undefined : String(v));

/** database.args as node-postgres takes them (libpq's defaults where a key is absent). */
export function nodePgConfig(args: Record<string, unknown>): pg.ClientConfig {
  // libpq's meaning of sslmode/sslrootcert, as every other connection of the wizard takes them
  const mode = str(args.sslmode);
  const ssl = nodePgSsl(mode ? { sslmode: mode as PgTls['sslmode'], ...(str(args.sslrootcert) ? { sslrootcert: str(args.sslrootcert) } : {}) } : undefined, str(args.host)) ?? false;
  const timeout = Number(str(args.connect_timeout) ?? 10);
  return {
    // libpq's defaults: PGHOST/PGPORT from the environment, else Debian's socket directory and 5432
    host: str(args.host) || process.env.PGHOST || '/var/run/postgresql',
    port: Number(str(args.port) ?? process.env.PGPORT ?? 5432),
    user: str(args.user),
    password: str(args.password),
    database: str(args.dbname ?? args.database),
    ssl,
    options: str(args.options),
    application_name: str(args.application_name),
    keepAlive: str(args.keepalives) !== '0',
    connectionTimeoutMillis: (timeout > 0 ? timeout : 10) * 1000,
  };
}

/** The same login with node-postgres: ok, or the server's SQLSTATE / the network error code. */
export async function reproduceLogin(args: Record<string, unknown>): Promise<{ ok: true } | { ok: false; sqlstate?: string; netcode?: string; error: string }> {
  let cfg: pg.ClientConfig;
  try {
    cfg = nodePgConfig(args);
  } catch (e) {
    return { ok: false, error: redact((e as Error).message) };
  }
  const c = new pg.Client(cfg);
  c.on('error', () => undefined);
  try {
    await c.connect();
    return { ok: true };
  } catch (e) {
    const err = e as { code?: string; message?: string };
    const code = err.code;
    const sqlstate = code && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
    return { ok: false, sqlstate, netcode: sqlstate ? undefined : code, error: redact(err.message ?? String(e)) };
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** The full probe with node-postgres, for hosts where no Synapse environment with psycopg2 was named. */
export async function probeWithNodePg(args: Record<string, unknown>): Promise<ProbeResult> {
  const argKeys = Object.keys(args).filter((k) => !CP.has(k));
  const base = { driver: 'node-postgres', via: 'in-process', argKeys };
  let stage: ProbeStage = 'connect';
  let c: pg.Client | undefined;
  try {
    c = new pg.Client(nodePgConfig(args));
    c.on('error', () => undefined);
    await c.connect();
    stage = 'read';
    const who = await c.query<{ u: string; v: string }>(`SELECT current_user AS u, current_setting('server_version_num') AS v`);
    let schemaVersion: number | null | undefined;
    const has = await c.query<{ ok: boolean }>(`SELECT to_regclass('schema_version') IS NOT NULL AS ok`);
    if (has.rows[0]!.ok) schemaVersion = (await c.query<{ version: number }>('SELECT version FROM schema_version')).rows[0]?.version ?? null;
    stage = 'write';
    await c.query('BEGIN');
    await c.query(`SET LOCAL lock_timeout = '5s'`);
    await c.query('CREATE TABLE synapse_pg_wizard_probe (id BIGINT PRIMARY KEY, t TEXT)');
    await c.query(`INSERT INTO synapse_pg_wizard_probe VALUES (1, 'probe')`);
    if (schemaVersion !== undefined) await c.query('UPDATE schema_version SET upgraded = upgraded');
    await c.query('ROLLBACK');
    return { ...base, ok: true, stage: 'done', user: who.rows[0]!.u, serverVersionNum: Number(who.rows[0]!.v), schemaVersion };
  } catch (e) {
    const err = e as { code?: string; message?: string };
    const sqlstate = err.code && /^[0-9A-Z]{5}$/.test(err.code) ? err.code : undefined;
    return { ...base, ok: false, stage, sqlstate, netcode: sqlstate ? undefined : err.code, error: redact(err.message ?? String(e)) };
  } finally {
    await c?.end().catch(() => undefined);
  }
}

/**
 * Connects as Synapse does. `fallback`: when Synapse's Python has no psycopg2 and no Synapse environment was named, use
 * node-postgres (the result says so). A refused psycopg2 login is reproduced to read its SQLSTATE.
 */
export async function probeAsSynapse(exec: Executor, args: Record<string, unknown>, opts: { fallback: boolean; signal?: AbortSignal }): Promise<ProbeResult> {
  const r = await probeWithPsycopg2(exec, args, opts);
  if ((r.stage === 'import' || r.stage === 'run') && opts.fallback) {
    const n = await probeWithNodePg(args);
    return { ...n, driver: `${n.driver}; Synapse's psycopg2 was not found here (${r.error ?? ''})` };
  }
  if (!r.ok && r.stage === 'connect' && !r.sqlstate) {
    const again = await reproduceLogin(args);
    if (!again.ok) return { ...r, sqlstate: again.sqlstate, netcode: again.netcode };
  }
  return r;
}

/** One line for findings and logs: what was tried and what came back. */
export function describeProbe(r: ProbeResult): string {
  const what = `${r.driver} via ${r.via} with database.args ${r.argKeys.join(', ') || '(none)'}`;
  if (r.ok) return `Connected as ${r.user} with ${what}; read schema_version (${r.schemaVersion === undefined ? 'no such table yet' : r.schemaVersion}) and wrote in a transaction that was rolled back.`;
  const code = r.sqlstate ? ` (SQLSTATE ${r.sqlstate})` : r.netcode ? ` (${r.netcode})` : '';
  return `Failed at ${r.stage === 'connect' ? 'connecting' : r.stage === 'read' ? 'reading' : r.stage === 'write' ? 'the rolled-back write' : r.stage === 'import' ? 'importing psycopg2' : 'starting Python'}${code} with ${what}: "${(r.error ?? '').replace(/\s+/g, ' ').trim()}"`;
}
