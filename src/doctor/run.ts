// `synapse-pg doctor`: every diagnosis read-only, findings worst first, then each fix applied (confirmed), verified by diagnosing again.
import { toWizardError } from '../core/errors.js';
import type { RunnerEvent } from '../core/events.js';
import { formatPlan } from '../core/plan-text.js';
import { redactAction } from '../core/runner.js';
import { redact } from '../core/redact.js';
import type { StepContext } from '../core/step.js';
import type { DoctorContext } from './context.js';
import { DIAGNOSES } from './list.js';
import { textFinding } from './text.js';
import type { Diagnosis, Finding } from './types.js';
import type { Ui } from '../core/ui.js';
import { SynapseControl } from './synapse-control.js';

export interface DoctorResult {
  ok: boolean;
  findings: { finding: Finding; fixed: boolean }[];
}

function stepContext(ui: Ui, id: string, dryRun: boolean): StepContext {
  return {
    dryRun,
    signal: ui.signal,
    log: (message, level = 'info') => ui.emit({ event: 'log', id, level, message: redact(message) }),
    progress: (label, done, total, detail) => ui.emit({ event: 'progress', id, label, done, total, detail: detail && redact(detail) }),
  };
}

async function diagnoseAll(ctx: DoctorContext, ui: Ui): Promise<{ d: Diagnosis; f: Finding }[]> {
  const out: { d: Diagnosis; f: Finding }[] = [];
  for (const d of DIAGNOSES) {
    let f: Finding | undefined;
    let checked = true;
    try {
      f = await d.diagnose(ctx);
    } catch (e) {
      checked = false;
      const err = toWizardError(e);
      // without a superuser connection the reason was said once already
      if (!(ctx.adminError && err.message.startsWith('no superuser connection'))) ui.emit({ event: 'log', id: d.id, level: 'warn', message: redact(`Could not check "${d.title}": ${err.message}`) });
    }
    const line = ctx.opts.errorLines.find((l) => d.patterns.some((p) => p.test(l)));
    if (!f && line && d.fromText) f = textFinding(ctx, d, line, checked && (d.canCheck ? d.canCheck(ctx) : ctx.onPostgres && !ctx.adminError));
    if (f) out.push({ d, f });
  }
  return out.sort((a, b) => a.d.rank - b.d.rank);
}

export async function runDoctor(ctx: DoctorContext, ui: Ui): Promise<DoctorResult> {
  const { emit } = ui;
  const dryRun = ctx.opts.dryRun;
  emit({ event: 'flow', id: 'doctor', title: 'Doctor: diagnose and fix known failures', steps: DIAGNOSES.map((d) => ({ id: d.id, title: d.title })), dryRun });
  if (ctx.adminError) emit({ event: 'log', level: 'warn', message: redact(`No superuser connection, so checks inside PostgreSQL are skipped: ${ctx.adminError}`) });
  if (ctx.logSource) emit({ event: 'log', level: 'info', message: redact(`Synapse is not running and its last start failed; the doctor reads the errors of that start from ${ctx.logSource} (${ctx.opts.errorLines.length} line(s)).`) });
  const found = await diagnoseAll(ctx, ui);
  emit({ event: 'log', level: found.length ? 'warn' : 'info', message: found.length ? `Found ${found.length} problem(s), worst first: ${found.map((x) => x.f.id).join(', ')}.` : 'No known problem found.' });
  const synapse = new SynapseControl(ctx, ui);
  const results: DoctorResult['findings'] = [];
  let stopped = false;
  for (const { d, f } of found) {
    if (stopped || ui.signal.aborted) {
      results.push({ finding: f, fixed: false });
      continue;
    }
    const sc = stepContext(ui, f.id, dryRun);
    emit({ event: 'step-start', id: f.id, title: f.title, why: redact(f.cause) });
    emit({ event: 'check', id: f.id, status: f.notPresentNow ? 'done' : f.apply ? 'needed' : 'blocked', message: redact(f.evidence) });
    const plan = f.plan.length ? f.plan : [{ kind: 'note' as const, text: f.fix }];
    emit({ event: 'plan', id: f.id, actions: plan.map(redactAction) });
    const { fixed, message, cancelled } = await handle(ctx, ui, synapse, d, f, sc);
    stopped ||= !!cancelled;
    emit({ event: 'step', id: f.id, status: fixed ? (f.notPresentNow ? 'done' : 'applied') : dryRun && f.apply ? 'planned' : 'failed', message: redact(message) });
    results.push({ finding: f, fixed });
  }
  if (!dryRun) {
    const proof = await synapse.finish(results.some((r) => r.fixed && !r.finding.notPresentNow && r.finding.apply));
    if (proof && !proof.ok) for (const r of results) if (r.fixed && (r.finding.needsSynapseStopped || r.finding.restartSynapse)) r.fixed = false;
  }
  for (const { finding: f, fixed } of results) emit(findingEvent(f, fixed));
  const left = results.filter((r) => !r.fixed);
  const ok = left.length === 0;
  emit({
    event: 'done',
    ok,
    message: !results.length ? 'No known problem found.' : ok ? `All ${results.length} finding(s) fixed and verified.` : `${left.length} of ${results.length} finding(s) left unfixed: ${left.map((r) => r.finding.id).join(', ')}.`,
    hint: ok ? undefined : dryRun ? 'Run again without --dry-run to apply the fixes shown.' : 'Each unfixed finding above says what to do.',
  });
  return { ok, findings: results };
}

/** Applies one finding's fix (confirmed) and proves it; never throws: a failure is the message of an unfixed finding. */
async function handle(ctx: DoctorContext, ui: Ui, synapse: SynapseControl, d: Diagnosis, f: Finding, sc: StepContext): Promise<{ fixed: boolean; message: string; cancelled?: boolean }> {
  if (f.notPresentNow) return { fixed: true, message: f.notPresentNow };
  if (!f.apply) return { fixed: false, message: `Fix it by hand: ${f.fix}` };
  if (ctx.opts.dryRun) return { fixed: false, message: `Dry run: would ${f.fix}` };
  try {
    if (!(await confirm(ctx, ui, f))) return { fixed: false, message: 'Not applied: you declined.' };
    // An earlier fix may have fixed this too, or changed what the fix must do: diagnose afresh first.
    const now = await d.diagnose(ctx);
    if (!now) return { fixed: true, message: 'Fixed by an earlier fix: diagnosing again finds nothing.' };
    if (!now.apply) return { fixed: false, message: `Fix it by hand: ${now.fix}` };
    if (now.needsSynapseStopped) await synapse.ensureStopped(sc, now.title);
    const applied = await now.apply(sc);
    const again = await d.diagnose(ctx);
    if (again) return { fixed: false, message: `Applied (${applied}), but diagnosing again still finds: ${again.evidence}` };
    const proof = now.verify ? ` ${await now.verify()}` : '';
    if (now.restartSynapse) synapse.restartWanted = true;
    if (now.needsSynapseStopped) synapse.startWanted = true;
    return { fixed: true, message: `${applied} Verified: diagnosing again finds nothing.${proof}` };
  } catch (e) {
    const err = toWizardError(e);
    // Ctrl-C: nothing more is applied, but Synapse, if the doctor stopped it, is still started again at the end
    if (err.code === 'CANCELLED' || ui.signal.aborted) return { fixed: false, message: 'Stopped at your request; the fixes after this one were not applied.', cancelled: true };
    return { fixed: false, message: `${err.message}${err.hint ? ` What to do: ${err.hint}` : ''}` };
  }
}

function findingEvent(f: Finding, fixed: boolean): RunnerEvent {
  return { event: 'finding', id: f.id, title: f.title, evidence: redact(f.evidence), cause: redact(f.cause), fix: redact(f.fix), needsSynapseStopped: f.needsSynapseStopped, fixed };
}

async function confirm(ctx: DoctorContext, ui: Ui, f: Finding): Promise<boolean> {
  if (ctx.opts.yes) return true;
  return ui.prompter.confirm({ message: `${f.title}: ${f.fix}${f.needsSynapseStopped ? ' (Synapse is stopped first)' : ''}. Apply?`, details: redact(formatPlan(f.plan)) });
}
