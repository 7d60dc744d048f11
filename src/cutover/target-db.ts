// What the target PostgreSQL database holds: nothing, an earlier port of this SQLite file, or a database Synapse already started on.
import type { PgAdmin } from '../adapters/pg-admin.js';
import { openReadOnly } from '../adapters/sqlite.js';
import { quoteLiteral } from '../pg/identifiers.js';

export type TargetState =
  | { kind: 'missing' }
  | { kind: 'empty' }
  | { kind: 'port'; tables: number; events: number; lineageProblem?: string }
  | { kind: 'synapse'; tables: number }
  | { kind: 'other'; tables: number };

export async function inspectTarget(admin: PgAdmin, dbName: string, sqlitePath: string | undefined): Promise<TargetState> {
  const [db] = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_database WHERE datname = ${quoteLiteral(dbName)}`);
  if (!db?.n) return { kind: 'missing' };
  const tables = (await admin.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'`, dbName)).map((r) => r.t);
  if (tables.length === 0) return { kind: 'empty' };
  const has = new Set(tables);
  if (!has.has('port_from_sqlite3')) return has.has('schema_version') ? { kind: 'synapse', tables: tables.length } : { kind: 'other', tables: tables.length };
  let events = 0;
  let lineageProblem: string | undefined;
  if (has.has('events')) {
    const [last] = await admin.query<{ event_id: string; stream_ordering: string; n: number }>(
      `SELECT event_id, stream_ordering::text AS stream_ordering, (SELECT count(*)::int FROM events) AS n FROM events ORDER BY stream_ordering DESC LIMIT 1`, dbName);
    events = last?.n ?? 0;
    if (last && sqlitePath) {
      const sq = openReadOnly(sqlitePath);
      try {
        const row = sq.prepare('SELECT stream_ordering FROM events WHERE event_id = ?').get(last.event_id) as { stream_ordering: number } | undefined;
        if (!row) lineageProblem = `its newest event ${last.event_id} is not in the SQLite file, so Synapse (or another port) wrote to it`;
        else if (String(row.stream_ordering) !== last.stream_ordering) lineageProblem = `its newest event has stream_ordering ${last.stream_ordering} there but ${row.stream_ordering} in SQLite`;
      } finally {
        sq.close();
      }
    }
  }
  return { kind: 'port', tables: tables.length, events, lineageProblem };
}
