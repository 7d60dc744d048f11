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
import { describeProbe } from '../adapters/synapse-probe.js';
import { runProbe } from './probe.js';
import { withEnglish } from './translate.js';
import { EXPLAINS_PROBE, notRecognisedFinding, unexplainedFinding } from './unexplained.js';
import type { Diagnosis, Finding } from './types.js';

export interface DoctorResult {
  ok: boolean;
  findings: { finding: Finding; fixed: boolean }[];
}

async function diagnoseAll(ctx: DoctorContext, ui: Ui): Promise<{ d: Diagnosis; f: Finding }[]> {
  const out: { d: Diagnosis; f: Finding }[] = [];
  const checkedIds: string[] = [];
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
    else if (checked) checkedIds.push(d.id);
  }
  // The ground truth failed and nothing found explains it: say so, quoting the error.
  const unexplained = out.some((x) => EXPLAINS_PROBE.has(x.f.id)) ? undefined : unexplainedFinding(ctx, checkedIds);
  if (unexplained) out.push({ d: { id: unexplained.id, rank: 0, title: unexplained.title, patterns: [], diagnose: async () => unexplainedFinding(ctx, checkedIds) }, f: unexplained });
  // Error text given, and not one line of it is known: an explicit "not recognised", never silence.
  const lines = ctx.opts.errorLines;
  if (lines.length && !ctx.logSource && !lines.some((l) => DIAGNOSES.some((d) => d.patterns.some((p) => p.test(l))))) {
    const nr = notRecognisedFinding(lines);
    out.push({ d: { id: nr.id, rank: 95, title: nr.title, patterns: [], diagnose: async () => nr }, f: nr });
  }
  return out.sort((a, b) => a.d.rank - b.d.rank);
}

export async function runDoctor(ctx: DoctorContext, ui: Ui): Promise<DoctorResult> {
  const { emit } = ui;
  // Without --yes and with no one to ask (--json, no terminal) the doctor is the read-only diagnosis.
  const diagnosisOnly = !ctx.opts.dryRun && !ctx.opts.yes && !ui.prompter.interactive;
  const dryRun = ctx.opts.dryRun || diagnosisOnly;
  // Translated PostgreSQL messages get their English original beside them, so they map to the same findings.
  ctx.opts.errorLines = withEnglish(ctx.opts.errorLines, (l) => DIAGNOSES.some((d) => d.patterns.some((p) => p.test(l))));
  // Ground truth first: connect as Synapse does (psycopg2 with every database.args key), read, write and roll back.
  const probe = await runProbe(ctx, ui.signal);
  if (probe) emit({ event: 'log', id: 'synapse-probe', level: probe.ok ? 'info' : 'error', message: redact(`Connecting as Synapse does: ${describeProbe(probe)}`) });
  if (ctx.adminError) emit({ event: 'log', level: 'warn', message: redact(`No superuser connection, so checks inside PostgreSQL are skipped: ${ctx.adminError}`) });
  if (ctx.logSource) emit({ event: 'log', level: 'info', message: redact(`Synapse is not running and its last start failed; the doctor reads the errors of that start from ${ctx.logSource} (${ctx.opts.errorLines.length} line(s)).`) });
  const found = await diagnoseAll(ctx, ui);
  if (ctx.healthSeen) emit({ event: 'log', id: 'synapse-health', level: 'info', message: `Synapse answers ${ctx.healthSeen} with OK.` });
  const problems = found.filter((x) => severity(x.f) === 'problem');
  const advice = found.filter((x) => severity(x.f) === 'advice');
  emit({ event: 'log', level: problems.length ? 'warn' : 'info', message: found.length ? `Found ${problems.length} problem(s)${advice.length ? ` and ${advice.length} piece(s) of advice` : ''}, worst first: ${found.map((x) => x.f.title).join('; ')}.` : noProblem(ctx) });
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
    // A fix is proven by connecting as Synapse does again.
    let reprobe = '';
    if (!dryRun && probe && results.some((r) => r.fixed && r.finding.apply && !r.finding.notPresentNow)) {
      const again = await runProbe(ctx, ui.signal);
      if (again) {
        emit({ event: 'log', id: 'synapse-probe', level: again.ok ? 'info' : 'error', message: redact(`After the fixes, connecting as Synapse does: ${describeProbe(again)}`) });
        if (!again.ok) reprobe = ` Synapse still cannot use its database: ${describeProbe(again)}`;
        else if (!probe.ok) for (const r of results) if (EXPLAINS_PROBE.has(r.finding.id) || r.finding.id === 'unexplained') r.fixed = true;
      }
    }
    for (const { finding: f, fixed } of results) emit(findingEvent(f, fixed));
    const left = results.filter((r) => !r.fixed && severity(r.finding) === 'problem');
    const leftAdvice = results.filter((r) => !r.fixed && severity(r.finding) === 'advice');
    const ok = left.length === 0 && !reprobe;
    const adviceText = leftAdvice.length ? ` Advice left as it is: ${leftAdvice.map((r) => r.finding.title).join('; ')}.` : '';
    return {
      ok,
      message: (!results.length ? noProblem(ctx) : !left.length && !leftAdvice.length ? `All ${results.length} finding(s) fixed and verified.` : left.length ? `${left.length} problem(s) left unfixed: ${left.map((r) => r.finding.title).join('; ')}.${adviceText}` : `No problem left.${adviceText}`) + reprobe,
      hint: ok ? undefined : diagnosisOnly ? 'This was the read-only diagnosis: run again with --yes to apply the fixes shown.' : dryRun ? 'Run again without --dry-run to apply the fixes shown.' : 'Each unfixed finding above says what to do.',
    };
  };
  const steps = found.map(({ d, f }) => findingStep(d, f, synapse));
  const r = await runFlow(steps, ctx, { flowId: 'doctor', title: 'Doctor: diagnose and fix known failures', dryRun, yes: ctx.opts.yes, prompter: ui.prompter, emit, signal: ui.signal, keepGoing: true, summarize });
  return { ok: r.ok, findings: results };
}

function findingEvent(f: Finding, fixed: boolean): RunnerEvent {
  return { event: 'finding', id: f.id, title: f.title, evidence: redact(f.evidence), cause: redact(f.cause), fix: redact(f.fix), needsSynapseStopped: f.needsSynapseStopped, fixed, severity: severity(f) };
}

const severity = (f: Finding) => f.severity ?? 'problem';

/** "No known problem found" rests on the probe: said with what proved it, or with why there was nothing to connect to. */
function noProblem(ctx: DoctorContext): string {
  const p = ctx.probe;
  const health = ctx.healthSeen ? ` Synapse answers ${ctx.healthSeen} with OK.` : '';
  if (!p) return `No known problem found.${health}`;
  const how = p.driver.startsWith('psycopg2') ? 'Synapse connects, reads and writes (psycopg2 in its environment).' : `Synapse's login, read and write work with node-postgres; pass --synapse-exec to prove them with Synapse's own psycopg2.`;
  return `No known problem found. ${how}${health}`;
}
