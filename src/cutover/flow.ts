// The cutover, as a readable list of steps; each finished step is written to the journal so a rerun continues after it.
import type { Step } from '../core/step.js';
import { createDatabase } from '../setup/steps/create-database.js';
import { createRole } from '../setup/steps/create-role.js';
import { pgAdmin } from '../setup/steps/pg-admin.js';
import { pgHba } from '../setup/steps/pg-hba.js';
import { recorded, type CutoverContext } from './context.js';
import { finalSnapshot } from './steps/final-snapshot.js';
import { fromSetup } from './steps/from-setup.js';
import { portFinal } from './steps/port-final.js';
import { portSnapshot } from './steps/port-snapshot.js';
import { postgresConfig } from './steps/postgres-config.js';
import { preflight } from './steps/preflight.js';
import { snapshot } from './steps/snapshot.js';
import { startSynapse } from './steps/start-synapse.js';
import { stopSynapse } from './steps/stop-synapse.js';
import { swapConfig } from './steps/swap-config.js';
import { verifyPort } from './steps/verify-port.js';

/**
 * Records a step in the journal once it is verified. `resumable` steps that the journal lists as finished are not run
 * again; the others (read-only checks, stop, start) look at the real system every time.
 */
export function journaled(step: Step<CutoverContext>, resumable: boolean): Step<CutoverContext> {
  return {
    ...step,
    async check(ctx, sc) {
      const done = ctx.journal.steps[step.id];
      if (resumable && done) return { status: 'done', message: `Finished in an earlier run (${done.finishedAt}).` };
      return step.check(ctx, sc);
    },
    async verify(ctx, sc) {
      if (resumable && recorded(ctx, step.id)) return { ok: true, message: `recorded in the journal ${ctx.paths.journal}.` };
      const v = await step.verify(ctx, sc);
      if (v.ok && !sc.dryRun) {
        const data = ctx.stepData[step.id] ?? (step.id === 'preflight' ? { toolsProbeMs: ctx.stepData.toolsProbeMs } : undefined);
        ctx.journal.steps[step.id] = { finishedAt: new Date().toISOString(), ...(data !== undefined ? { data } : {}) };
        await ctx.saveJournal();
      }
      return v;
    },
  };
}

export const cutoverSteps: Step<CutoverContext>[] = [
  journaled(fromSetup(pgAdmin), false),
  journaled(preflight, false),
  journaled(fromSetup(createRole), false),
  journaled(fromSetup(createDatabase), false),
  journaled(fromSetup(pgHba), false),
  journaled(snapshot, true),
  journaled(postgresConfig, true),
  journaled(portSnapshot, true),
  journaled(stopSynapse, false),
  journaled(finalSnapshot, true),
  journaled(portFinal, true),
  journaled(verifyPort, true),
  journaled(swapConfig, true),
  journaled(startSynapse, false),
];
