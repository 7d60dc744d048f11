// Finishes pending background updates on a snapshot with the same Synapse (update_synapse_database), since synapse_port_db refuses them.
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { formatArgv } from '../adapters/exec.js';
import { redact } from '../core/redact.js';
import { writeFileAtomic } from '../adapters/files.js';
import { renderConfigWithDatabase } from '../config/database-block.js';
import { WizardError } from '../core/errors.js';
import type { StepContext } from '../core/step.js';
import { requireAdmin } from '../setup/context.js';
import type { CutoverContext } from './context.js';
import { sqliteFacts } from './sqlite-facts.js';

export async function finishBackgroundUpdates(ctx: CutoverContext, snapshot: string, sc: StepContext): Promise<number> {
  const pending = (await sqliteFacts(snapshot, { quickCheck: false })).pendingBackgroundUpdates;
  if (!pending.length) return 0;
  sc.log(`${pending.length} background update(s) pending in the snapshot (${pending.slice(0, 5).join(', ')}); running update_synapse_database --run-background-updates on it.`);
  const st = await fs.stat(snapshot);
  const cfg = ctx.paths.snapshotConfig;
  await writeFileAtomic(cfg, renderConfigWithDatabase(ctx.config, { name: 'sqlite3', args: { database: ctx.exec.toInside(snapshot) } }), { mode: 0o640, forceMode: true, uid: st.uid, gid: st.gid });
  await runUpdateSynapseDatabase(ctx, sc, cfg, snapshot === ctx.paths.finalSnapshot ? 'final' : 'phase1', 'the snapshot', 'Start Synapse and let it finish its background updates (SELECT * FROM background_updates is empty), then run cutover again.');
  const left = (await sqliteFacts(snapshot, { quickCheck: false })).pendingBackgroundUpdates;
  if (left.length) throw new WizardError('PORT_FAILED', `${left.length} background update(s) are still pending in the snapshot after update_synapse_database.`, { hint: 'Let Synapse finish them (background_updates empty), then run cutover again.' });
  return pending.length;
}

/** update_synapse_database --run-background-updates on a whole config; its INFO lines go to the port log only. */
async function runUpdateSynapseDatabase(ctx: CutoverContext, sc: StepContext, cfg: string, phase: 'phase1' | 'final', what: string, hint: string): Promise<void> {
  const argv = ['update_synapse_database', '--database-config', ctx.exec.toInside(cfg), '--run-background-updates'];
  const logFile = ctx.paths.portLog(phase);
  await fs.mkdir(dirname(logFile), { recursive: true, mode: 0o700 });
  const lines: string[] = [`== ${new Date().toISOString()} ${formatArgv(ctx.exec.wrap(argv))}`];
  const r = await ctx.exec.run(argv, {
    signal: sc.signal,
    onLine: (l) => {
      lines.push(redact(l));
      if (/ - (WARNING|ERROR|CRITICAL) - /.test(l) && !/Metric named .* already registered/.test(l)) sc.log(l, 'warn');
    },
  });
  await fs.appendFile(logFile, lines.join('\n') + '\n', { mode: 0o600 });
  if (r.isCanceled) throw new WizardError('CANCELLED', 'Stopped during update_synapse_database.');
  if (r.exitCode !== 0) {
    throw new WizardError('PORT_FAILED', `update_synapse_database failed on ${what} (exit code ${r.exitCode ?? '?'}): ${redact(r.spawnError ?? r.stderr).trim().split('\n').slice(-3).join(' | ')}`, { hint });
  }
}

/**
 * An empty target: create Synapse's schema and finish its background updates with update_synapse_database first.
 * synapse_port_db would run the same updates itself, but pauses a second after each one (about a minute on Synapse 1.160).
 */
export async function preparePostgres(ctx: CutoverContext, sc: StepContext): Promise<boolean> {
  const admin = requireAdmin(ctx.setup);
  const db = ctx.opts.setup.dbName;
  const tables = new Set((await admin.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'`, db)).map((x) => x.t));
  if (tables.has('port_from_sqlite3')) return false;
  // Empty, or left by an earlier run that was interrupted while doing this (updates still pending).
  if (tables.size > 0) {
    const [r] = tables.has('background_updates') ? await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM background_updates`, db) : [{ n: 0 }];
    if (!r?.n) return false;
  }
  const t0 = Date.now();
  sc.log('Creating the schema in PostgreSQL and finishing its background updates with update_synapse_database (synapse_port_db would pause a second after each).');
  await runUpdateSynapseDatabase(ctx, sc, ctx.paths.postgresConfig, 'phase1', 'the new PostgreSQL database', 'Read the port log; run cutover again (synapse_port_db then prepares the database itself).');
  sc.log(`PostgreSQL schema ready in ${((Date.now() - t0) / 1000).toFixed(1)} s.`);
  return true;
}
