// Phase 2: with Synapse stopped, a last snapshot of the live file (same pages, same rowids), so the live file is never ported in place.
import { removeFile } from '../../adapters/files.js';
import type { Step } from '../../core/step.js';
import { requireSqlite, type CutoverContext } from '../context.js';
import { snapshotUsable, takeSnapshot } from '../sqlite-snapshot.js';

export const finalSnapshot: Step<CutoverContext> = {
  id: 'final-snapshot',
  title: 'Snapshot the stopped SQLite file',
  why: "synapse_port_db writes into the file it ports; porting a copy keeps the live file exactly as Synapse left it, so a rollback to SQLite is always possible.",
  async check(ctx) {
    return { status: 'needed', message: `Copy ${requireSqlite(ctx)} to ${ctx.paths.finalSnapshot}.`, plan: [{ kind: 'note', text: `Online backup of ${ctx.sqlitePath} -> ${ctx.paths.finalSnapshot}; the phase 1 snapshot is removed first (its rows are in PostgreSQL).` }] };
  },
  async apply(ctx, sc) {
    await removeFile(ctx.paths.phase1Snapshot);
    const r = await takeSnapshot(requireSqlite(ctx), ctx.paths.finalSnapshot, (done, total) => sc.progress('snapshot pages', done, total), sc.signal);
    ctx.stepData['final-snapshot'] = { bytes: r.bytes, ms: r.ms };
    return `Copied ${(r.bytes / 1e6).toFixed(1)} MB in ${(r.ms / 1000).toFixed(1)} s.`;
  },
  async verify(ctx) {
    return snapshotUsable(ctx.paths.finalSnapshot) ? { ok: true, message: `${ctx.paths.finalSnapshot} passes quick_check.` } : { ok: false, message: `${ctx.paths.finalSnapshot} does not pass quick_check.` };
  },
};
