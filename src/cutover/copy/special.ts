// The script's special cases, done the same way: sent_transactions on its first port, and event_search rebuilt by PostgreSQL.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type Database from 'better-sqlite3';
import { rowToLine, type ColumnPlan } from './convert.js';
import { sweepTable, type Sweep, type SweepResult } from './source.js';
import { pgColumnList } from './target.js';

const EVENT_SEARCH_PLAN: ColumnPlan = {
  names: ['event_id', 'room_id', 'key', 'sender', 'value', 'origin_server_ts', 'stream_ordering'],
  kinds: ['text', 'text', 'text', 'text', 'text', 'int', 'int'],
};

/**
 * sent_transactions on its first port: only the newest row of each destination that is older than a day, then every row of the
 * last day (Porter._setup_sent_transactions). Returns where the regular sweep starts.
 */
export async function setupSentTransactions(c: pg.Client, db: Database.Database, table: string, plan: ColumnPlan, now: number): Promise<{ sweep: Sweep; rows: number }> {
  const yesterday = now - 86_400_000;
  const newest = db.prepare(`SELECT rowid, * FROM sent_transactions WHERE rowid IN (SELECT max(rowid) FROM sent_transactions GROUP BY destination)`).safeIntegers(true).all() as Record<string, unknown>[];
  const old = newest.filter((r) => Number(r.ts) < yesterday);
  // As the script: the rows left after conversion are inserted, and where the sweep goes on is taken from the first value of
  // those converted rows (its rowid column is gone by then; in Synapse's schema that value is the id, the rowid's alias).
  const kept = old.map((row) => ({ row, line: rowToLine(plan.names.map((n) => row[n]), plan, table, row.rowid, () => false) })).filter((k): k is { row: Record<string, unknown>; line: string } => typeof k.line === 'string');
  const lines = kept.map((k) => k.line);
  const maxRowid = kept.reduce((m, k) => Math.max(m, Number(k.row[plan.names[0]!])), 0);
  if (lines.length) await pipeline(Readable.from([lines.join('')]), c.query(copyFrom(`COPY sent_transactions (${pgColumnList(plan)}) FROM STDIN`)));
  const first = db.prepare(`SELECT rowid AS r FROM sent_transactions WHERE ts >= ? ORDER BY rowid ASC LIMIT 1`).get(yesterday) as { r: number } | undefined;
  return { sweep: { forward: Math.max(maxRowid + 1, first?.r ?? 1), backward: 0 }, rows: lines.length };
}

/** event_search: rows joined to their events, the tsvector built by PostgreSQL (to_tsvector('english', value)) as the script does. */
export async function copyEventSearch(c: pg.Client, db: Database.Database, probe: Database.Database, sweep: Sweep, r: SweepResult, onRows: (n: number) => void, chunkRows?: number): Promise<void> {
  await c.query(`CREATE TEMP TABLE spgw_event_search (event_id text, room_id text, key text, sender text, value text, origin_server_ts bigint, stream_ordering bigint) ON COMMIT DROP`);
  const gen = sweepTable(
    {
      db,
      probe,
      table: 'event_search',
      plan: EVENT_SEARCH_PLAN,
      sweep: { forward: sweep.forward },
      select: { rowid: 'es.rowid', columns: 'es.event_id, es.room_id, es.key, es.sender, es.value, e.origin_server_ts, e.stream_ordering', from: 'event_search AS es INNER JOIN events AS e USING (event_id, room_id)' },
      onRows,
      chunkRows,
    },
    r,
  );
  await pipeline(Readable.from(gen, { objectMode: false }), c.query(copyFrom(`COPY spgw_event_search FROM STDIN`)));
  await c.query(`INSERT INTO event_search (event_id, room_id, key, sender, vector, origin_server_ts, stream_ordering)
    SELECT event_id, room_id, key, sender, to_tsvector('english', value), origin_server_ts, stream_ordering FROM spgw_event_search`);
}
