// The wizard's port verification (checkPort: row counts of every ported table, sequences, stream_positions) against the bare
// cost of `SELECT count(*)` on the same tables on both sides, on the same files, caches equally warm.
import Database from 'better-sqlite3';
import pg from 'pg';
import { createPgAdmin, type PgAdmin } from '../../src/adapters/pg-admin.js';
import { checkPort } from '../../src/cutover/port-check.js';
import { IGNORED_TABLES, SCHEMA_TABLES } from '../../src/cutover/tables.js';

export interface VerificationResult {
  tables: number;
  rows: number;
  /** Best of `runs` runs each. */
  checkPortMs: number;
  /** Of checkPort's time: its PostgreSQL queries (each on a new, password-authenticated connection), and how many. */
  checkPortPgMs: number;
  checkPortPgQueries: number;
  /** One `SELECT 1` through the same admin adapter: the cost of a connection. */
  adminQueryMs: number;
  plainSqliteMs: number;
  plainPostgresMs: number;
  plainMs: number;
  mismatches: number;
}

const quote = (t: string) => `"${t.replace(/"/g, '""')}"`;

async function plainCounts(sqlite: string, url: string, tables: string[]): Promise<{ sqliteMs: number; pgMs: number; rows: number }> {
  let rows = 0;
  const t0 = Date.now();
  const db = new Database(sqlite, { readonly: true, fileMustExist: true });
  try {
    for (const t of tables) rows += Number((db.prepare(`SELECT count(*) AS n FROM ${quote(t)}`).get() as { n: number }).n);
  } finally {
    db.close();
  }
  const t1 = Date.now();
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    for (const t of tables) await c.query(`SELECT count(*) FROM ${quote(t)}`);
  } finally {
    await c.end();
  }
  return { sqliteMs: t1 - t0, pgMs: Date.now() - t1, rows };
}

/** The admin adapter, counting and timing its queries. */
function metered(admin: PgAdmin): PgAdmin & { queries: number; ms: number } {
  const m = {
    queries: 0,
    ms: 0,
    describe: () => admin.describe(),
    commandFor: (db?: string) => admin.commandFor(db),
    close: () => admin.close(),
    exec: (sql: string, db?: string) => admin.exec(sql, db),
    async query<T>(sql: string, db?: string): Promise<T[]> {
      const t0 = Date.now();
      m.queries++;
      try {
        return await admin.query<T>(sql, db);
      } finally {
        m.ms += Date.now() - t0;
      }
    },
  };
  return m;
}

/** `sqlite` is the file the wizard compared (its final snapshot); `url` reaches the ported database as a superuser. */
export async function timeVerification(sqlite: string, superuserUrl: string, dbName: string, runs = 3): Promise<VerificationResult> {
  const admin = createPgAdmin({ kind: 'url', url: superuserUrl });
  const dbUrl = new URL(superuserUrl);
  dbUrl.pathname = `/${dbName}`;
  try {
    const pgTables = new Set((await admin.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'`, dbName)).map((r) => r.t));
    const db = new Database(sqlite, { readonly: true, fileMustExist: true });
    const sqTables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'`).all() as { name: string }[]).map((r) => r.name);
    db.close();
    const tables = sqTables.filter((t) => pgTables.has(t) && !IGNORED_TABLES.has(t) && !SCHEMA_TABLES.has(t)).sort();
    let best = { check: Infinity, checkPg: Infinity, queries: 0, sqlite: Infinity, pg: Infinity, select1: Infinity };
    let rows = 0;
    let mismatches = 0;
    for (let i = 0; i < runs; i++) {
      const p = await plainCounts(sqlite, dbUrl.toString(), tables);
      rows = p.rows;
      const m = metered(admin);
      const t0 = Date.now();
      const c = await checkPort(m, dbName, sqlite, {});
      const checkMs = Date.now() - t0;
      mismatches = c.mismatches.length;
      const t1 = Date.now();
      await admin.query('SELECT 1');
      const select1 = Date.now() - t1;
      if (checkMs < best.check) best = { ...best, check: checkMs, checkPg: m.ms, queries: m.queries };
      best = { ...best, sqlite: Math.min(best.sqlite, p.sqliteMs), pg: Math.min(best.pg, p.pgMs), select1: Math.min(best.select1, select1) };
    }
    return {
      tables: tables.length, rows, mismatches,
      checkPortMs: best.check, checkPortPgMs: best.checkPg, checkPortPgQueries: best.queries, adminQueryMs: best.select1,
      plainSqliteMs: best.sqlite, plainPostgresMs: best.pg, plainMs: best.sqlite + best.pg,
    };
  } finally {
    await admin.close();
  }
}
