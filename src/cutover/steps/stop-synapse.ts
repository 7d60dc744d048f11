// Phase 2 begins: show the downtime estimate, then stop Synapse and prove it stopped (pid gone, listener closed).
import type { Step, StepContext } from '../../core/step.js';
import { recorded, recordedData, requireSqlite, type CutoverContext } from '../context.js';
import { compareTables } from '../copy/compare.js';
import { describeEstimate, estimateCopyDowntime, estimateDowntime, type DowntimeEstimate } from '../estimate.js';
import { synapseDbArgs } from '../../setup/context.js';
import type { PortData } from '../port-data.js';
import { requireService } from '../service.js';
import { sqliteBytes, sqliteMaxRowids } from '../sqlite-facts.js';
import { APPEND_ONLY_TABLES } from '../tables.js';
import type { SnapshotData } from './snapshot.js';
import { nodePgSsl } from '../../adapters/pg-tls.js';

/** Steps whose results go stale when Synapse ran again after them. */
const AFTER_STOP = ['final-snapshot', 'port-final', 'verify-port'];

async function estimate(ctx: CutoverContext): Promise<DowntimeEstimate | undefined> {
  const port = (ctx.stepData['port-snapshot'] as PortData | undefined) ?? recordedData<PortData>(ctx, 'port-snapshot');
  const snap = (ctx.stepData.snapshot as SnapshotData | undefined) ?? recordedData<SnapshotData>(ctx, 'snapshot');
  if (!port || !snap) return undefined;
  const live = requireSqlite(ctx);
  if (port.engine === 'copy' && port.rules && port.portTables && port.rate !== undefined) {
    const a = synapseDbArgs(ctx.setup);
    const c = await compareTables({ sqlite: live, pg: { host: a.host, port: a.port, user: a.user, password: a.password, database: a.dbname, ssl: nodePgSsl(a, a.host) }, rules: port.rules, tables: port.portTables, digests: ctx.journal.copyDigests ?? {} });
    return estimateCopyDowntime(
      { driverMs: port.driverMs ?? 3_000, loadMs: port.loadMs ?? 2_000, rate: port.rate, snapshotMs: snap.ms, snapshotBytes: snap.bytes },
      { liveBytes: await sqliteBytes(live), changedRows: Object.values(c.changedRows).reduce((x, y) => x + y, 0), changedTables: c.changed.length, appendRows: c.appendRows, compareMs: c.ms },
    );
  }
  const tables: Record<string, { table: string; total: number; copied: number; alreadyPorted: number }> = {};
  for (const [t, [total, copied]] of Object.entries(port.tables)) tables[t] = { table: t, total, copied, alreadyPorted: total - copied };
  return estimateDowntime(
    { port: { tables, setupMs: port.setupMs, copyMs: port.copyMs, rowsCopied: port.rowsCopied, ms: port.ms, states: port.states ?? [] }, snapshotMs: snap.ms, snapshotBytes: snap.bytes, snapshotMaxRowids: snap.maxRowids },
    { liveBytes: await sqliteBytes(live), liveMaxRowids: sqliteMaxRowids(live, [...APPEND_ONLY_TABLES]) },
  );
}

export const stopSynapse: Step<CutoverContext> = {
  id: 'stop-synapse',
  title: 'Stop Synapse (the downtime starts)',
  ownConfirm: true,
  why: 'The last rows can only be copied once nothing writes the SQLite file any more.',
  async check(ctx, sc: StepContext) {
    if (recorded(ctx, 'swap-config')) return { status: 'skip', message: 'The config is already swapped to PostgreSQL; Synapse is started by the next step.' };
    const service = requireService(ctx, (l) => sc.log(l));
    const e = await estimate(ctx);
    if (e) {
      ctx.stepData.estimateMs = Math.round(e.totalMs);
      sc.log(describeEstimate(e));
    }
    if (!(await service.isRunning())) return { status: 'done', message: `Synapse is not running (${service.describe()}).` };
    const argv = ctx.opts.service?.kind === 'synctl' || !ctx.opts.service ? ctx.exec.wrap(['synctl', 'stop', ctx.exec.toInside(ctx.paths.mainConfig)]) : undefined;
    return {
      status: 'needed',
      message: `Synapse is running; ${service.describe()} will stop it.`,
      plan: [argv ? { kind: 'command', argv } : { kind: 'note', text: `stop ${service.describe()}` }],
      confirm: `Stop Synapse now? ${e ? describeEstimate(e) : 'The downtime lasts until the final port, its verification and the start on PostgreSQL are done.'}`,
    };
  },
  async apply(ctx, sc) {
    ctx.journal.phase = 'downtime';
    ctx.journal.downtimeStartedAt = new Date().toISOString();
    if (ctx.stepData.estimateMs !== undefined) ctx.journal.estimatedDowntimeMs = Number(ctx.stepData.estimateMs);
    // Synapse ran again after an earlier final snapshot: that snapshot and its port are stale.
    const stale = AFTER_STOP.filter((id) => recorded(ctx, id));
    for (const id of stale) delete ctx.journal.steps[id];
    if (stale.length) sc.log(`Synapse was running again since the last attempt, so ${stale.join(', ')} will be redone.`, 'warn');
    await ctx.saveJournal();
    const t0 = Date.now();
    const service = requireService(ctx, (l) => sc.log(l));
    await service.stop();
    return `Stopped ${service.describe()} in ${((Date.now() - t0) / 1000).toFixed(1)} s.`;
  },
  async verify(ctx, sc) {
    const service = requireService(ctx, (l) => sc.log(l));
    if (await service.isRunning()) return { ok: false, message: 'Synapse still runs.', hint: 'Stop it by hand, then run cutover again.' };
    if (!sc.dryRun && ctx.journal.phase === 'phase1') {
      ctx.journal.phase = 'downtime';
      ctx.journal.downtimeStartedAt = new Date().toISOString();
      if (ctx.stepData.estimateMs !== undefined) ctx.journal.estimatedDowntimeMs = Number(ctx.stepData.estimateMs);
    }
    return { ok: true, message: 'its pid is gone and its listener is closed.' };
  },
};
