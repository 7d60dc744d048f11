// Reads synapse_port_db's plain output (no --curses): per-table progress, state lines, dropped rows, and when each table moved.
export interface TableTiming {
  table: string;
  /** Rows in PostgreSQL before this run touched the table ("already ported"). */
  alreadyPorted: number;
  /** Rows the table holds when this run is done (SQLite rows, as the script counts them). */
  total: number;
  /** Rows this run copied. */
  copied: number;
  firstAt?: number;
  lastAt?: number;
}

export interface PortSummary {
  tables: Record<string, TableTiming>;
  /** State lines ("Preparing sqlite3", "Copying to postgres"...) with when they were printed (ms since start). */
  states: { state: string; atMs: number }[];
  droppedRows: { table: string; column: string }[];
  droppedSearchRows: number;
  /** ms from start to "Copying to postgres" (schema preparation, sequences, truncating the tables copied again). */
  setupMs?: number;
  /** ms spent copying (from "Copying to postgres" to the last progress line). */
  copyMs?: number;
  rowsCopied: number;
  /** The last lines of stderr (the script writes its fatal error there). */
  tail: string[];
}

const PROGRESS = /^([A-Za-z0-9_]+): (\d+)% \((\d+)\/(\d+)\)$/;
const STATE = /^([A-Z][A-Za-z0-9 ]+)\.\.\.$/;
const ALREADY = / - INFO - Table ([A-Za-z0-9_]+): (\d+)\/(\d+) \(rows -?\d+--?\d+\) already ported/;
const DROPPED = /DROPPING ROW: NUL value in table ([A-Za-z0-9_]+) col ([A-Za-z0-9_]+)/;
const DROPPED_SEARCH = /dropping search row /;

export function newPortSummary(): PortSummary {
  return { tables: {}, states: [], droppedRows: [], droppedSearchRows: 0, rowsCopied: 0, tail: [] };
}

export type PortLine =
  | { kind: 'progress'; table: string; percent: number; done: number; total: number }
  | { kind: 'state'; state: string }
  | { kind: 'table'; table: string; alreadyPorted: number; total: number }
  | { kind: 'dropped'; table: string; column: string }
  | { kind: 'dropped-search' }
  | { kind: 'other' };

export function parsePortLine(line: string): PortLine {
  let m = PROGRESS.exec(line);
  if (m) return { kind: 'progress', table: m[1]!, percent: Number(m[2]), done: Number(m[3]), total: Number(m[4]) };
  m = STATE.exec(line);
  if (m) return { kind: 'state', state: m[1]! };
  m = ALREADY.exec(line);
  if (m) return { kind: 'table', table: m[1]!, alreadyPorted: Number(m[2]), total: Number(m[3]) };
  m = DROPPED.exec(line);
  if (m) return { kind: 'dropped', table: m[1]!, column: m[2]! };
  if (DROPPED_SEARCH.test(line)) return { kind: 'dropped-search' };
  return { kind: 'other' };
}

/** Folds one line (seen `atMs` after the start) into the summary; returns what the line was. */
export function addPortLine(s: PortSummary, line: string, atMs: number, stream: 'stdout' | 'stderr'): PortLine {
  const p = parsePortLine(line);
  switch (p.kind) {
    case 'progress': {
      const t = (s.tables[p.table] ??= { table: p.table, alreadyPorted: 0, total: p.total, copied: 0 });
      t.firstAt ??= atMs;
      t.lastAt = atMs;
      t.total = p.total;
      const copied = Math.max(0, p.done - t.alreadyPorted);
      s.rowsCopied += copied - t.copied;
      t.copied = copied;
      if (s.setupMs !== undefined) s.copyMs = atMs - s.setupMs;
      break;
    }
    case 'state':
      s.states.push({ state: p.state, atMs });
      if (p.state === 'Copying to postgres') s.setupMs = atMs;
      break;
    case 'table': {
      const t = (s.tables[p.table] ??= { table: p.table, alreadyPorted: p.alreadyPorted, total: p.total, copied: 0 });
      t.alreadyPorted = p.alreadyPorted;
      t.total = p.total;
      t.firstAt ??= atMs;
      break;
    }
    case 'dropped':
      s.droppedRows.push({ table: p.table, column: p.column });
      break;
    case 'dropped-search':
      s.droppedSearchRows++;
      break;
    default:
      if (stream === 'stderr' && line.trim()) {
        s.tail.push(line);
        if (s.tail.length > 40) s.tail.shift();
      }
  }
  return p;
}

/** Dropped rows per table, the search table included. */
export function droppedByTable(s: PortSummary): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of s.droppedRows) out[d.table] = (out[d.table] ?? 0) + 1;
  if (s.droppedSearchRows) out.event_search = (out.event_search ?? 0) + s.droppedSearchRows;
  return out;
}

/** Slowest tables first, with their copy time: what the admin reads to see where the time went. */
export function tableTimings(s: PortSummary): { table: string; rows: number; ms: number }[] {
  return Object.values(s.tables)
    .filter((t) => t.copied > 0)
    .map((t) => ({ table: t.table, rows: t.copied, ms: Math.max(0, (t.lastAt ?? 0) - (t.firstAt ?? 0)) }))
    .sort((a, b) => b.ms - a.ms);
}
