// How big Synapse's database is: the database, its largest tables (pg_total_relation_size), and the free disk under the data directory.
import { existsSync, promises as fs } from 'node:fs';
import type { PgAdmin } from '../adapters/pg-admin.js';
import type { SynapseDb } from './db.js';
import { isLocalHost } from '../pg/host.js';

export interface TableSize {
  table: string;
  /** pg_total_relation_size: the table, its indexes and TOAST. */
  bytes: number;
}

export interface SizeFacts {
  databaseBytes: number;
  tables: TableSize[];
  dataDirectory?: string;
  /** Free bytes for an unprivileged user on the data directory's file system, when it is on this machine. */
  freeBytes?: number;
  /** Why free space is not known (remote server, no right to read data_directory). */
  freeUnknown?: string;
}

export async function databaseBytes(db: SynapseDb, database = db.args.dbname): Promise<number> {
  const [r] = await db.query<{ n: string }>('SELECT pg_database_size($1)::text AS n', [database]);
  return Number(r!.n);
}

/** Every ordinary table of Synapse's schema with its total size, largest first. */
export async function tableSizes(db: SynapseDb, database?: string): Promise<TableSize[]> {
  const rows = await db.query<{ t: string; n: string }>(
    `SELECT c.relname AS t, pg_total_relation_size(c.oid)::text AS n
       FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
      WHERE s.nspname = 'public' AND c.relkind IN ('r', 'p', 'm')
      ORDER BY pg_total_relation_size(c.oid) DESC, c.relname`,
    [],
    database,
  );
  return rows.map((r) => ({ table: r.t, bytes: Number(r.n) }));
}

export async function tableBytes(db: SynapseDb, table: string): Promise<number> {
  const [r] = await db.query<{ n: string | null }>(`SELECT pg_total_relation_size(to_regclass($1))::text AS n`, [`public.${table}`]);
  return Number(r?.n ?? 0);
}

/** data_directory needs a superuser or pg_read_all_settings: Synapse's role first, then the superuser connection if there is one. */
export async function dataDirectory(db: SynapseDb, admin?: PgAdmin): Promise<string | undefined> {
  try {
    const [r] = await db.query<{ d: string }>(`SELECT current_setting('data_directory') AS d`);
    if (r?.d) return r.d;
  } catch {
    /* not allowed for Synapse's role: ask the superuser */
  }
  if (!admin) return undefined;
  try {
    // the superuser connection may reach another cluster on this machine: same port and start time, or it does not count
    const same = `SELECT current_setting('port') AS port, pg_postmaster_start_time()::text AS started`;
    const [mine] = await db.query<{ port: string; started: string }>(same);
    const [r] = await admin.query<{ d: string; port: string; started: string }>(`SELECT current_setting('data_directory') AS d, q.* FROM (${same}) q`);
    return r && mine && r.port === mine.port && r.started === mine.started ? r.d : undefined;
  } catch {
    return undefined;
  }
}

export async function freeSpace(db: SynapseDb, admin?: PgAdmin): Promise<Pick<SizeFacts, 'dataDirectory' | 'freeBytes' | 'freeUnknown'>> {
  if (!isLocalHost(db.args.host)) return { freeUnknown: `PostgreSQL runs on ${db.args.host}, not on this machine` };
  const dir = await dataDirectory(db, admin);
  if (!dir) return { freeUnknown: `${db.args.user} may not read data_directory; pass --pg-admin to read it as a superuser` };
  if (!existsSync(dir)) return { dataDirectory: dir, freeUnknown: `${dir} is not on this machine's file system (a container?)` };
  const s = await fs.statfs(dir);
  return { dataDirectory: dir, freeBytes: s.bavail * s.bsize };
}

export async function sizeFacts(db: SynapseDb, admin?: PgAdmin): Promise<SizeFacts> {
  return { databaseBytes: await databaseBytes(db), tables: await tableSizes(db), ...(await freeSpace(db, admin)) };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}
