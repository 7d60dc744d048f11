// Phase 1: synapse_port_db copies the snapshot into PostgreSQL while Synapse keeps serving from the live file.
import type { Step } from '../../core/step.js';
import type { CutoverContext } from '../context.js';
import { portArgv } from '../port-run.js';
import { portSnapshot as runPortStep, verifyPorted } from '../port-step.js';

export const portSnapshot: Step<CutoverContext> = {
  id: 'port-snapshot',
  title: 'Port the snapshot to PostgreSQL (Synapse keeps running)',
  why: 'The long copy happens now, while Synapse serves; phase 2 then copies only what changed, so the downtime stays short.',
  async check(ctx) {
    return { status: 'needed', message: 'Run synapse_port_db on the snapshot.', plan: [{ kind: 'command', argv: ctx.exec.wrap(portArgv(ctx.exec, ctx.paths.phase1Snapshot, ctx.paths.postgresConfig)), note: `full log in ${ctx.paths.portLog('phase1')}` }] };
  },
  async apply(ctx, sc) {
    const d = await runPortStep(ctx, sc, ctx.paths.phase1Snapshot, 'phase1');
    ctx.stepData['port-snapshot'] = d;
    return `Ported ${d.rowsCopied} rows in ${(d.ms / 1000).toFixed(1)} s.`;
  },
  verify: (ctx) => verifyPorted(ctx),
};
