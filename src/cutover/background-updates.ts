// Finishes pending background updates on a snapshot with the same Synapse (update_synapse_database), since synapse_port_db refuses them.
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { formatArgv } from '../adapters/exec.js';
import { redact } from '../core/redact.js';
import { writeFileAtomic } from '../adapters/files.js';
import { renderConfigWithDatabase } from '../config/database-block.js';
import { WizardError } from '../core/errors.js';
import type { StepContext } from '../core/step.js';
import type { CutoverContext } from './context.js';
import { sqliteFacts } from './sqlite-facts.js';

export async function finishBackgroundUpdates(ctx: CutoverContext, snapshot: string, sc: StepContext): Promise<number> {
  const pending = (await sqliteFacts(snapshot, { quickCheck: false })).pendingBackgroundUpdates;
  if (!pending.length) return 0;
  sc.log(`${pending.length} background update(s) pending in the snapshot (${pending.slice(0, 5).join(', ')}); running update_synapse_database --run-background-updates on it.`);
  const st = await fs.stat(snapshot);
  const cfg = ctx.paths.snapshotConfig;
  await writeFileAtomic(cfg, renderConfigWithDatabase(ctx.config, { name: 'sqlite3', args: { database: ctx.exec.toInside(snapshot) } }), { mode: 0o640, forceMode: true, uid: st.uid, gid: st.gid });
  const argv = ['update_synapse_database', '--database-config', ctx.exec.toInside(cfg), '--run-background-updates'];
  // Its INFO lines (one per batch) go to the port log only; warnings and errors are shown.
  const logFile = ctx.paths.portLog(snapshot === ctx.paths.finalSnapshot ? 'final' : 'phase1');
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
    throw new WizardError('PORT_FAILED', `update_synapse_database failed on the snapshot (exit code ${r.exitCode ?? '?'}): ${(r.spawnError ?? r.stderr).trim().split('\n').slice(-3).join(' | ')}`, { hint: 'Start Synapse and let it finish its background updates (SELECT * FROM background_updates is empty), then run cutover again.' });
  }
  const left = (await sqliteFacts(snapshot, { quickCheck: false })).pendingBackgroundUpdates;
  if (left.length) throw new WizardError('PORT_FAILED', `${left.length} background update(s) are still pending in the snapshot after update_synapse_database.`, { hint: 'Let Synapse finish them (background_updates empty), then run cutover again.' });
  return pending.length;
}
