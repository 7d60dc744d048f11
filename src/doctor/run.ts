// `synapse-pg doctor`: every diagnosis read-only, findings worst first, then each fix through the runner (confirmed, verified by diagnosing again).
import { toWizardError } from '../core/errors.js';
import type { RunnerEvent } from '../core/events.js';
import { redact } from '../core/redact.js';
import { runFlow, type FlowOutcome } from '../core/runner.js';
import type { Ui } from '../core/ui.js';
import type { DoctorContext } from './context.js';
import { findingStep } from './finding-step.js';
import { DIAGNOSES } from './list.js';
import { SynapseControl } from './synapse-control.js';
import { textFinding } from './text.js';
import type { Diagnosis, Finding } from './types.js';

export interface DoctorResult {
  ok: boolean;
  findings: { finding: Finding; fixed: boolean }[];
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
  if (ctx.adminError) emit({ event: 'log', level: 'warn', message: redact(`No superuser connection, so checks inside PostgreSQL are skipped: ${ctx.adminError}`) });
  if (ctx.logSource) emit({ event: 'log', level: 'info', message: redact(`Synapse is not running and its last start failed; the doctor reads the errors of that start from ${ctx.logSource} (${ctx.opts.errorLines.length} line(s)).`) });
  const found = await diagnoseAll(ctx, ui);
  emit({ event: 'log', level: found.length ? 'warn' : 'info', message: found.length ? `Found ${found.length} problem(s), worst first: ${found.map((x) => x.f.id).join(', ')}.` : 'No known problem found.' });
  const synapse = new SynapseControl(ctx, ui);
  const results: DoctorResult['findings'] = [];
  const summarize = async (outcome: FlowOutcome) => {
    for (const { f } of found) {
      const s = outcome.statuses.get(f.id);
      results.push({ finding: f, fixed: s === 'done' || s === 'applied' });
    }
    if (!dryRun) {
      // Synapse stopped by the doctor is started again, also after Ctrl-C or a failed fix: it must not be left down.
      const proof = await synapse.finish(results.some((r) => r.fixed && !r.finding.notPresentNow && r.finding.apply));
      if (proof && !proof.ok) for (const r of results) if (r.fixed && (r.finding.needsSynapseStopped || r.finding.restartSynapse)) r.fixed = false;
    }
    for (const { finding: f, fixed } of results) emit(findingEvent(f, fixed));
    const left = results.filter((r) => !r.fixed);
    const ok = left.length === 0;
    return {
      ok,
      message: !results.length ? 'No known problem found.' : ok ? `All ${results.length} finding(s) fixed and verified.` : `${left.length} of ${results.length} finding(s) left unfixed: ${left.map((r) => r.finding.id).join(', ')}.`,
      hint: ok ? undefined : dryRun ? 'Run again without --dry-run to apply the fixes shown.' : 'Each unfixed finding above says what to do.',
    };
  };
  const steps = found.map(({ d, f }) => findingStep(d, f, synapse));
  const r = await runFlow(steps, ctx, { flowId: 'doctor', title: 'Doctor: diagnose and fix known failures', dryRun, yes: ctx.opts.yes, prompter: ui.prompter, emit, signal: ui.signal, keepGoing: true, summarize });
  return { ok: r.ok, findings: results };
}

function findingEvent(f: Finding, fixed: boolean): RunnerEvent {
  return { event: 'finding', id: f.id, title: f.title, evidence: redact(f.evidence), cause: redact(f.cause), fix: redact(f.fix), needsSynapseStopped: f.needsSynapseStopped, fixed };
}
