// The two runs of synapse_port_db are one step shape: port a snapshot, keep its timings, prove the port.
import type { Step } from '../../core/step.js';
import type { CutoverContext } from '../context.js';
import { portArgv } from '../port-run.js';
import { portSnapshot, verifyPorted } from '../port-step.js';

export interface PortPhase {
  id: string;
  title: string;
  why: string;
  phase: 'phase1' | 'final';
  snapshot: (ctx: CutoverContext) => string;
  message: string;
}

export function portPhaseStep(p: PortPhase): Step<CutoverContext> {
  return {
    id: p.id,
    title: p.title,
    why: p.why,
    async check(ctx) {
      return { status: 'needed', message: p.message, plan: [{ kind: 'command', argv: ctx.exec.wrap(portArgv(ctx.exec, p.snapshot(ctx), ctx.paths.postgresConfig)), note: `full log in ${ctx.paths.portLog(p.phase)}` }] };
    },
    async apply(ctx, sc) {
      const d = await portSnapshot(ctx, sc, p.snapshot(ctx), p.phase);
      ctx.stepData[p.id] = d;
      return `Ported ${d.rowsCopied} rows in ${(d.ms / 1000).toFixed(1)} s.`;
    },
    verify: (ctx) => verifyPorted(ctx),
  };
}
