// Estimates phase 2's downtime from what phase 1 measured: the script's fixed cost, its copy rate, and what phase 2 must copy again.
import { APPEND_ONLY_TABLES } from './tables.js';
import type { PortSummary } from './port-output.js';

export interface Phase1Measure {
  port: Pick<PortSummary, 'tables' | 'setupMs' | 'copyMs' | 'rowsCopied'> & { ms: number };
  snapshotMs: number;
  snapshotBytes: number;
  /** max(rowid) of the append-only tables in the phase 1 snapshot. */
  snapshotMaxRowids: Record<string, number>;
  /** How long importing Synapse took where the tools run (a floor for Synapse's own start). */
  toolsProbeMs: number;
}

export interface DowntimeEstimate {
  totalMs: number;
  parts: { stopMs: number; snapshotMs: number; portMs: number; verifyMs: number; startMs: number };
  /** Rows phase 2 copies: tables the script empties and copies again in full, plus rows added since the snapshot. */
  rows: { recopied: number; appended: number };
}

const STOP_MS = 10_000;

export function estimateDowntime(m: Phase1Measure, now: { liveBytes: number; liveMaxRowids: Record<string, number> }): DowntimeEstimate {
  const appendOnly = new Set<string>(APPEND_ONLY_TABLES);
  let recopied = 0;
  for (const t of Object.values(m.port.tables)) if (!appendOnly.has(t.table)) recopied += t.total;
  let appended = 0;
  for (const [t, max] of Object.entries(now.liveMaxRowids)) appended += Math.max(0, max - (m.snapshotMaxRowids[t] ?? 0));
  const rows = recopied + appended;
  const copyMs = m.port.copyMs ?? 0;
  // The copy rate of phase 1; per-table overhead dominates small databases, so never assume less than the rate-free share.
  const perRow = m.port.rowsCopied > 0 ? copyMs / m.port.rowsCopied : 0;
  const copy = Math.max(rows * perRow, copyMs * 0.5);
  const tail = Math.max(0, m.port.ms - (m.port.setupMs ?? 0) - copyMs);
  const portMs = (m.port.setupMs ?? m.port.ms * 0.5) + copy + tail;
  const snapshotMs = m.snapshotBytes > 0 ? (m.snapshotMs * now.liveBytes) / m.snapshotBytes : m.snapshotMs;
  const verifyMs = 2_000 + rows * 0.01 + now.liveBytes / 500_000; // counting rows on both sides
  const startMs = Math.max(15_000, 6 * m.toolsProbeMs);
  const parts = { stopMs: STOP_MS, snapshotMs, portMs, verifyMs, startMs };
  const totalMs = Object.values(parts).reduce((a, b) => a + b, 0);
  return { totalMs, parts, rows: { recopied, appended } };
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
  return `Estimated downtime: ${Math.round(e.totalMs / 1000)} s (${formatDuration(e.totalMs)}): stop ${formatDuration(p.stopMs)}, final snapshot ${formatDuration(p.snapshotMs)}, final port ${formatDuration(p.portMs)} (${e.rows.recopied} rows copied again in full, ${e.rows.appended} rows added since the snapshot), verify ${formatDuration(p.verifyMs)}, start ${formatDuration(p.startMs)}.`;
}
