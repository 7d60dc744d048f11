// Reads a table of the SQLite file the way synapse_port_db sweeps it (rowids forward from one point, backward from another),
// as COPY text lines, counting and hashing what it yields. Read-only: the file may be the stopped live one.
import { createHash, type Hash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { quoteIdent } from '../../pg/identifiers.js';
import { rowToLine, type ColumnPlan } from './convert.js';

export interface Sweep {
  /** Rows with rowid >= forward (ascending) ... */
  forward: number;
  /** ... and rows with rowid <= backward (descending); undefined: no backward sweep (event_search). */
  backward?: number;
}

export interface SweepResult {
  rows: number;
  dropped: number;
  droppedColumns: Set<string>;
  /** max rowid + 1 of the forward sweep, or its start when it found nothing. */
  nextForward: number;
  /** min rowid - 1 of the backward sweep, or its start. */
  nextBackward: number;
  digest: string;
}

const sq = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** The table's columns in SQLite order (the order the script's SELECT * gives). */
export function sqliteColumns(db: Database.Database, table: string): string[] {
  return (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[]).map((c) => c.name);
}

export function countSweep(db: Database.Database, table: string, s: Sweep, where = ''): number {
  const back = s.backward === undefined ? '' : ` OR rowid <= ${s.backward}`;
  return Number((db.prepare(`SELECT count(*) AS n FROM ${sq(table)} WHERE (rowid >= ${s.forward}${back})${where}`).get() as { n: number }).n);
}

export interface SweepOptions {
  db: Database.Database;
  /** A second connection to the same file, for looking at one cell's raw bytes while the sweep's statement is open. */
  probe: Database.Database;
  table: string;
  plan: ColumnPlan;
  sweep: Sweep;
  /** SELECT list and FROM clause; default: the plan's columns from the table itself. The first column must be the rowid. */
  select?: { columns: string; from: string; rowid: string };
  /** Lines per chunk handed to the consumer. */
  chunkRows?: number;
  onRows?: (n: number) => void;
}

/**
 * Yields chunks of COPY text. The result (counts, next rowids, digest) is filled in as it goes and complete once the
 * generator is exhausted.
 */
export function sweepTable(o: SweepOptions, result: SweepResult): Generator<string> {
  const hash: Hash = createHash('sha256');
  return (function* () {
    const chunkRows = o.chunkRows ?? 2000;
    const sel = o.select ?? { columns: o.plan.names.map(sq).join(', '), from: sq(o.table), rowid: 'rowid' };
    const passes: { sql: string; start: number; forward: boolean }[] = [
      { sql: `SELECT ${sel.rowid}, ${sel.columns} FROM ${sel.from} WHERE ${sel.rowid} >= ? ORDER BY ${sel.rowid}`, start: o.sweep.forward, forward: true },
    ];
    if (o.sweep.backward !== undefined) passes.push({ sql: `SELECT ${sel.rowid}, ${sel.columns} FROM ${sel.from} WHERE ${sel.rowid} <= ? ORDER BY ${sel.rowid} DESC`, start: o.sweep.backward, forward: false });
    result.nextForward = o.sweep.forward;
    result.nextBackward = o.sweep.backward ?? 0;
    for (const p of passes) {
      const it = o.db.prepare(p.sql).raw(true).safeIntegers(true).iterate(p.start) as IterableIterator<unknown[]>;
      let chunk = '';
      let n = 0;
      for (const r of it) {
        const rowid = r[0] as bigint;
        const values = r.slice(1);
        const line = rowToLine(values, o.plan, o.table, rowid, (i) => rawIsInvalidUtf8(o.probe, sel, o.plan.names[i]!, rowid));
        if (p.forward) result.nextForward = Number(rowid) + 1;
        else result.nextBackward = Number(rowid) - 1;
        if (typeof line !== 'string') {
          result.dropped++;
          result.droppedColumns.add(line.dropped);
          continue;
        }
        chunk += line;
        result.rows++;
        if (++n >= chunkRows) {
          hash.update(chunk);
          o.onRows?.(n);
          yield chunk;
          chunk = '';
          n = 0;
        }
      }
      if (chunk) {
        hash.update(chunk);
        o.onRows?.(n);
        yield chunk;
      }
    }
    result.digest = hash.digest('hex');
  })();
}

export function newSweepResult(): SweepResult {
  return { rows: 0, dropped: 0, droppedColumns: new Set(), nextForward: 1, nextBackward: 0, digest: '' };
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function rawIsInvalidUtf8(probe: Database.Database, sel: { from: string; rowid: string }, column: string, rowid: bigint): boolean {
  const from = sel.from.split(/\s/)[0]!;
  const row = probe.prepare(`SELECT CAST(${sq(column)} AS BLOB) AS b FROM ${from} WHERE rowid = ?`).safeIntegers(true).get(rowid) as { b: Buffer | null } | undefined;
  if (!row?.b) return false;
  try {
    decoder.decode(row.b);
    return false;
  } catch {
    return true;
  }
}

export { quoteIdent };
