// A finding made from an error text (--error, --log) for a diagnosis whose state check found nothing or could not run.
import type { DoctorContext } from './context.js';
import type { Diagnosis, Finding } from './types.js';

export function textFinding(ctx: DoctorContext, d: Diagnosis, line: string, checked: boolean): Finding {
  const t = d.fromText!(ctx, line);
  const quoted = `The error text "${line.trim().slice(0, 400)}"`;
  return {
    id: d.id,
    title: d.title,
    evidence: checked ? `${quoted} points here, but the doctor's check finds it healthy now.` : `${quoted} points here; the doctor could not look at the system to confirm it.`,
    cause: t.cause,
    fix: t.fix,
    needsSynapseStopped: false,
    plan: [],
    notPresentNow: checked ? `Not present now: the check "${d.title}" passes on this system${ctx.onPostgres ? ` (as Synapse connects: ${ctx.target.user}@${ctx.target.host || 'local socket'}:${ctx.target.port}/${ctx.target.dbname})` : ''}. If the error came from another machine or config, run the doctor there.` : undefined,
  };
}

/** Lines of the error texts that match any of `patterns`. */
export function matchingLines(ctx: DoctorContext, patterns: RegExp[]): string[] {
  return ctx.opts.errorLines.filter((l) => patterns.some((p) => p.test(l)));
}
