// The two runs of synapse_port_db are one step shape: port a snapshot, keep its timings, prove the port.
import type { Step } from '../../core/step.js';
import type { CutoverContext } from '../context.js';
import { copySnapshot } from '../copy/port-copy.js';
import { driverArgv } from '../copy/driver.js';
import { portArgv } from '../port-run.js';
import { verifyPorted } from '../port-data.js';
import { portSnapshot } from '../port-db.js';

export interface PortPhase {
  id: string;
  title: string;
  why: string;
  phase: 'phase1' | 'final';
  snapshot: (ctx: CutoverContext) => string;
  message: string;
  messageCopy: string;
}

export function portPhaseStep(p: PortPhase): Step<CutoverContext> {
  return {
    id: p.id,
    title: p.title,
    why: p.why,
    async check(ctx) {
      if (ctx.opts.engine === 'copy') {
        const argv = ctx.exec.wrap(driverArgv({ exec: ctx.exec, python: ctx.tools?.python ?? 'python3', mode: 'prepare', sqlite: p.snapshot(ctx), postgresConfig: ctx.paths.postgresConfig }));
        return {
          status: 'needed',
          message: p.messageCopy,
          plan: [
            { kind: 'command', argv, note: `synapse_port_db's own code prepares PostgreSQL (schema, port_from_sqlite3, sequences), its row copying left out; log in ${ctx.paths.portLog(p.phase)}` },
            { kind: 'note', text: `COPY ... FROM STDIN of every table synapse_port_db ports, read from ${p.snapshot(ctx)}: append-only tables from where the last copy stopped, the others only when their rows differ from what PostgreSQL holds (TRUNCATE + COPY in one transaction)` },
          ],
        };
      }
      return { status: 'needed', message: p.message, plan: [{ kind: 'command', argv: ctx.exec.wrap(portArgv(ctx.exec, p.snapshot(ctx), ctx.paths.postgresConfig)), note: `full log in ${ctx.paths.portLog(p.phase)}` }] };
    },
    async apply(ctx, sc) {
      const d = ctx.opts.engine === 'copy' ? await copySnapshot(ctx, sc, p.snapshot(ctx), p.phase) : await portSnapshot(ctx, sc, p.snapshot(ctx), p.phase);
      ctx.stepData[p.id] = d;
      return `${d.engine === 'copy' ? 'Copied' : 'Ported'} ${d.rowsCopied} rows in ${(d.ms / 1000).toFixed(1)} s.`;
    },
    verify: (ctx) => verifyPorted(ctx),
  };
}
