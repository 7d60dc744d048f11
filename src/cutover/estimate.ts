// Estimates phase 2's downtime from what phase 1 measured: the script's fixed cost, its copy rate, and what phase 2 must copy again.
import { APPEND_ONLY_TABLES } from './tables.js';
import type { PortSummary } from './port-output.js';

export interface Phase1Measure {
  port: Pick<PortSummary, 'tables' | 'setupMs' | 'copyMs' | 'rowsCopied'> & { ms: number; states: [string, number][] };
  snapshotMs: number;
  snapshotBytes: number;
  /** max(rowid) of the append-only tables in the phase 1 snapshot. */
  snapshotMaxRowids: Record<string, number>;
}

export interface DowntimeEstimate {
  totalMs: number;
  parts: { stopMs: number; snapshotMs: number; portMs: number; verifyMs: number; startMs: number };
  /** Rows phase 2 copies: tables the script empties and copies again in full, plus rows added since the snapshot. */
  rows: { recopied: number; appended: number };
  /** Copy engine: tables whose content changed since the last copy (only those are copied again). */
  changedTables?: number;
}

function at(states: [string, number][], name: string): number | undefined {
  return states.find(([s]) => s === name)?.[1];
}

/**
 * Phase 2's port costs what phase 1's did, minus creating the schema in PostgreSQL (phase 1 only), with the copy scaled to
 * the rows phase 2 copies. Synapse's start is estimated from how long its code took to load in the port script.
 */
export function estimateDowntime(m: Phase1Measure, now: { liveBytes: number; liveMaxRowids: Record<string, number> }): DowntimeEstimate {
  const appendOnly = new Set<string>(APPEND_ONLY_TABLES);
  let recopied = 0;
  for (const t of Object.values(m.port.tables)) if (!appendOnly.has(t.table)) recopied += t.total;
  let appended = 0;
  for (const [t, max] of Object.entries(now.liveMaxRowids)) appended += Math.max(0, max - (m.snapshotMaxRowids[t] ?? 0));
  const rows = recopied + appended;
  const st = m.port.states;
  const loadMs = at(st, 'Preparing sqlite3') ?? 2_000;
  const sqlitePrepMs = (at(st, 'Preparing psycopg2') ?? loadMs) - loadMs;
  const schemaMs = (at(st, 'Creating port tables') ?? at(st, 'Preparing psycopg2') ?? 0) - (at(st, 'Preparing psycopg2') ?? 0);
  const setupMs = Math.max(loadMs, (m.port.setupMs ?? m.port.ms / 2) - schemaMs + sqlitePrepMs);
  const copyMs = m.port.copyMs ?? 0;
  const perRow = m.port.rowsCopied > 0 ? copyMs / m.port.rowsCopied : 0;
  const copy = rows * perRow;
  const tail = Math.max(0, m.port.ms - (m.port.setupMs ?? 0) - copyMs);
  const portMs = setupMs + copy + tail;
  const snapshotMs = m.snapshotBytes > 0 ? (m.snapshotMs * now.liveBytes) / m.snapshotBytes : m.snapshotMs;
  const verifyMs = 500 + now.liveBytes / 200_000; // counting every table on both sides
  const stopMs = Math.max(1_000, loadMs);
  const startMs = 1.5 * loadMs + 500;
  const parts = { stopMs, snapshotMs, portMs, verifyMs, startMs };
  const totalMs = Object.values(parts).reduce((a, b) => a + b, 0);
  return { totalMs, parts, rows: { recopied, appended } };
}

/** What phase 1 of the copy engine measured, and what a comparison of the live file with PostgreSQL found just now. */
export interface CopyMeasure {
  /** The driver's run (synapse_port_db's own preparation) and how long its Python took to load Synapse. */
  driverMs: number;
  loadMs: number;
  /** Rows per second of phase 1's copy. */
  rate: number;
  snapshotMs: number;
  snapshotBytes: number;
}

export interface CopyNow {
  liveBytes: number;
  /** Rows of the tables whose content changed since the last copy, and how many such tables. */
  changedRows: number;
  changedTables: number;
  appendRows: number;
  /** How long comparing every table took just now: phase 2 compares again. */
  compareMs: number;
}

/** The copy engine's downtime: stop, snapshot, the driver, comparing tables, copying what changed, verifying, start. */
export function estimateCopyDowntime(m: CopyMeasure, now: CopyNow): DowntimeEstimate {
  const rate = m.rate > 0 ? m.rate : 50_000;
  const rows = now.changedRows + now.appendRows;
  const portMs = m.driverMs + now.compareMs + (rows / rate) * 1000 + 15 * now.changedTables;
  const snapshotMs = m.snapshotBytes > 0 ? (m.snapshotMs * now.liveBytes) / m.snapshotBytes : m.snapshotMs;
  const verifyMs = 500 + now.liveBytes / 200_000;
  const stopMs = Math.max(1_000, m.loadMs);
  const startMs = 1.5 * m.loadMs + 500;
  const parts = { stopMs, snapshotMs, portMs, verifyMs, startMs };
  return { totalMs: Object.values(parts).reduce((a, b) => a + b, 0), parts, rows: { recopied: now.changedRows, appended: now.appendRows }, changedTables: now.changedTables };
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 90) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function describeEstimate(e: DowntimeEstimate): string {
  const p = e.parts;
  return `Estimated downtime: ${Math.round(e.totalMs / 1000)} s${e.totalMs >= 90_000 ? ` (about ${formatDuration(e.totalMs)})` : ''}: stop ${formatDuration(p.stopMs)}, final snapshot ${formatDuration(p.snapshotMs)}, final port ${formatDuration(p.portMs)} (${e.changedTables !== undefined ? `${e.rows.recopied} rows of ${e.changedTables} changed table(s) copied again` : `${e.rows.recopied} rows copied again in full`}, ${e.rows.appended} rows added since the snapshot), verify ${formatDuration(p.verifyMs)}, start ${formatDuration(p.startMs)}.`;
}
