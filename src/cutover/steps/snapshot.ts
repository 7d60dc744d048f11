// Phase 1: a consistent snapshot of the live SQLite file while Synapse keeps running (SQLite's online backup API).
import type { Step } from '../../core/step.js';
import { recordedData, requireSqlite, type CutoverContext } from '../context.js';
import { snapshotUsable, takeSnapshot } from '../sqlite-snapshot.js';
import { sqliteMaxRowids } from '../sqlite-facts.js';
import { APPEND_ONLY_TABLES } from '../tables.js';

export interface SnapshotData {
  bytes: number;
  ms: number;
  maxRowids: Record<string, number>;
}

export const snapshot: Step<CutoverContext> = {
  id: 'snapshot',
  title: 'Snapshot the SQLite file (Synapse keeps running)',
  why: "synapse_port_db writes schema bookkeeping into the file it ports, and must not read a file Synapse is writing; it ports a consistent copy, so your live file is never touched.",
  async check(ctx) {
    return { status: 'needed', message: `Copy ${requireSqlite(ctx)} to ${ctx.paths.phase1Snapshot} with SQLite's online backup API.`, plan: [{ kind: 'note', text: `Online backup of ${ctx.sqlitePath} -> ${ctx.paths.phase1Snapshot} (owned like the live file, so Synapse's tools may write it)` }] };
  },
  async apply(ctx, sc) {
    const r = await takeSnapshot(requireSqlite(ctx), ctx.paths.phase1Snapshot, (done, total) => sc.progress('snapshot pages', done, total), sc.signal);
    const maxRowids = sqliteMaxRowids(r.path, [...APPEND_ONLY_TABLES]);
    ctx.stepData.snapshot = { bytes: r.bytes, ms: r.ms, maxRowids } satisfies SnapshotData;
    return `Copied ${(r.bytes / 1e6).toFixed(1)} MB in ${(r.ms / 1000).toFixed(1)} s.`;
  },
  async verify(ctx) {
    if (recordedData<SnapshotData>(ctx, 'snapshot') && !ctx.stepData.snapshot) return { ok: true, message: 'recorded in the journal.' };
    return snapshotUsable(ctx.paths.phase1Snapshot) ? { ok: true, message: `${ctx.paths.phase1Snapshot} opens and passes quick_check.` } : { ok: false, message: `${ctx.paths.phase1Snapshot} does not pass quick_check.` };
  },
};
