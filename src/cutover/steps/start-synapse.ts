// Phase 2 ends: start Synapse on PostgreSQL and prove it serves; if it never becomes healthy, put SQLite back and start it again.
import { readBytes, restoreBackup, writeFileAtomic } from '../../adapters/files.js';
import { toWizardError, WizardError } from '../../core/errors.js';
import type { Step, StepContext } from '../../core/step.js';
import { quoteLiteral } from '../../pg/identifiers.js';
import { requireAdmin } from '../../setup/context.js';
import { health, versions } from '../../synapse/client.js';
import { recordedData, type CutoverContext } from '../context.js';
import { requireService } from '../service.js';
import { onPostgres, type SwapData } from './swap-config.js';

async function sessions(ctx: CutoverContext): Promise<number> {
  const { dbUser, dbName } = ctx.opts.setup;
  const [r] = await requireAdmin(ctx.setup).query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = ${quoteLiteral(dbUser)} AND datname = ${quoteLiteral(dbName)}`);
  return r?.n ?? 0;
}

async function proveOnPostgres(ctx: CutoverContext): Promise<string> {
  const base = ctx.baseUrl!;
  if (!(await health(base))) throw new WizardError('SERVICE', `${base}/health does not answer OK.`);
  const v = await versions(base);
  for (let i = 0; i < 40; i++) {
    const n = await sessions(ctx);
    if (n > 0) return `${base}/health is OK, /_matrix/client/versions lists ${v.length} versions, and ${ctx.opts.setup.dbUser} has ${n} session(s) in pg_stat_activity.`;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new WizardError('SERVICE', `Synapse answers at ${base}, but ${ctx.opts.setup.dbUser} has no session in ${ctx.opts.setup.dbName}: it does not run on this PostgreSQL database.`, { hint: 'Another Synapse may be listening there, or the config Synapse reads is not the one the wizard changed.' });
}

/** Puts the SQLite config back, starts Synapse, proves it serves. */
async function rollback(ctx: CutoverContext, sc: StepContext, reason: string): Promise<never> {
  const swap = (ctx.stepData['swap-config'] as SwapData | undefined) ?? recordedData<SwapData>(ctx, 'swap-config');
  if (!swap) throw new WizardError('INTERNAL', 'No record of the config swap; cannot roll back.', { hint: `Put back the SQLite config yourself (${ctx.paths.oldSqliteConfig}) and start Synapse.` });
  sc.log(`Synapse did not become healthy on PostgreSQL (${reason}). Rolling back to SQLite.`, 'error');
  const service = requireService(ctx, (l) => sc.log(l));
  if (await service.isRunning().catch(() => false)) await service.stop().catch((e) => sc.log(`Stopping the failed Synapse: ${(e as Error).message}`, 'warn'));
  if (swap.sqliteCopy === ctx.paths.oldSqliteConfig) await writeFileAtomic(swap.file, await readBytes(swap.sqliteCopy));
  else await restoreBackup(swap.sqliteCopy, swap.file);
  sc.log(`Put the SQLite config back into ${swap.file}.`);
  try {
    await service.start();
  } catch (e) {
    throw new WizardError('SERVICE', `Synapse did not become healthy on PostgreSQL (${reason}), and after putting the SQLite config back it does not start either: ${toWizardError(e).message}`, { hint: `The SQLite file was never changed by the wizard. Read Synapse's log, start it with ${service.describe()}, and check ${swap.file}.` });
  }
  ctx.journal.phase = 'rolled-back';
  ctx.journal.rollbackReason = reason;
  await ctx.saveJournal();
  throw new WizardError('SERVICE', `Rolled back: Synapse did not become healthy on PostgreSQL (${reason}), so the SQLite config is back in ${swap.file} and Synapse serves from SQLite again. Nothing was lost: the wizard never writes the SQLite file.`, {
    hint: 'Fix the cause (Synapse\'s log says more), then run cutover again: it ports a fresh snapshot on top of the earlier port.',
  });
}

export const startSynapse: Step<CutoverContext> = {
  id: 'start-synapse',
  title: 'Start Synapse on PostgreSQL',
  why: 'The downtime ends when Synapse serves again; the wizard proves it runs on PostgreSQL, and rolls back to SQLite if it cannot start.',
  async check(ctx, sc) {
    const service = requireService(ctx, (l) => sc.log(l));
    if (ctx.journal.phase === 'done' && (await service.isRunning().catch(() => false))) return { status: 'done', message: 'Synapse runs on PostgreSQL.' };
    return { status: 'needed', message: `Start Synapse (${service.describe()}) and check ${ctx.baseUrl}/health.`, plan: [{ kind: 'note', text: `start ${service.describe()}; wait up to ${ctx.opts.startTimeoutMs / 1000} s for /health, then /_matrix/client/versions and pg_stat_activity; roll back to SQLite if it never becomes healthy` }] };
  },
  async apply(ctx, sc) {
    const service = requireService(ctx, (l) => sc.log(l));
    // An earlier run was killed half way through a rollback (the SQLite config is back): finish the rollback, never start on PostgreSQL silently.
    if (!ctx.journal.servedOnPostgresAt && !(await onPostgres(ctx))) await rollback(ctx, sc, 'an earlier run was interrupted while rolling back');
    const t0 = Date.now();
    try {
      if (!(await service.isRunning().catch(() => false))) await service.start();
    } catch (e) {
      if (!ctx.journal.servedOnPostgresAt && !(await health(ctx.baseUrl!))) await rollback(ctx, sc, toWizardError(e).message.split('\n')[0]!.slice(0, 300));
      throw new WizardError('SERVICE', `Synapse served on PostgreSQL before, so the wizard does not roll back (new messages would be lost): ${toWizardError(e).message}`, { hint: `Start it with ${service.describe()} and read its log; run synapse-pg doctor.` });
    }
    ctx.journal.servedOnPostgresAt ??= new Date().toISOString();
    await ctx.saveJournal();
    const proof = await proveOnPostgres(ctx);
    const started = Date.now();
    const downtime = ctx.journal.downtimeStartedAt ? started - Date.parse(ctx.journal.downtimeStartedAt) : undefined;
    ctx.journal.measuredDowntimeMs = downtime;
    ctx.journal.phase = 'done';
    const est = ctx.journal.estimatedDowntimeMs;
    if (downtime !== undefined) sc.log(`Measured downtime: ${Math.round(downtime / 1000)} s${est !== undefined ? ` (estimated ${Math.round(est / 1000)} s)` : ''}.`);
    return `Synapse started in ${((started - t0) / 1000).toFixed(1)} s. ${proof}`;
  },
  async verify(ctx) {
    try {
      return { ok: true, message: await proveOnPostgres(ctx) };
    } catch (e) {
      return { ok: false, message: toWizardError(e).message, hint: 'Synapse served on PostgreSQL already; the wizard does not roll back now. Run synapse-pg doctor.' };
    }
  },
};
