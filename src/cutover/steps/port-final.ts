// Phase 2: synapse_port_db on the final snapshot: append-only tables resume where phase 1 stopped, the others are copied again.
import type { Step } from '../../core/step.js';
import type { CutoverContext } from '../context.js';
import { portArgv } from '../port-run.js';
import { portSnapshot, verifyPorted } from '../port-step.js';

export const portFinal: Step<CutoverContext> = {
  id: 'port-final',
  title: 'Port what changed since the snapshot',
  why: 'Rows written while phase 1 ran are only in the live file; with Synapse stopped, a last run copies them.',
  async check(ctx) {
    return { status: 'needed', message: 'Run synapse_port_db on the final snapshot.', plan: [{ kind: 'command', argv: ctx.exec.wrap(portArgv(ctx.exec, ctx.paths.finalSnapshot, ctx.paths.postgresConfig)), note: `full log in ${ctx.paths.portLog('final')}` }] };
  },
  async apply(ctx, sc) {
    const d = await portSnapshot(ctx, sc, ctx.paths.finalSnapshot, 'final');
    ctx.stepData['port-final'] = d;
    return `Ported ${d.rowsCopied} rows in ${(d.ms / 1000).toFixed(1)} s.`;
  },
  verify: (ctx) => verifyPorted(ctx),
};
