// What the flow screen shows of one step (why, found, plan, log, diagnosis, result) and of one progress label, as tagged text.
import type { PlannedAction, RunnerEvent } from '../../src/core/events.js';
import { formatPlan } from '../../src/core/plan-text.js';
import { formatBars, formatFigures } from '../../src/maintain/report-text.js';
import { bar, clock, colourPlan, esc, statusTag, type Theme, type ViewStatus } from './theme.js';

export interface StepView {
  id: string;
  title: string;
  status: ViewStatus;
  why?: string;
  check?: string;
  plan?: PlannedAction[];
  log: string[];
  result?: { message: string; hint?: string; failed: boolean };
  /** The doctor's diagnosis of this step: cause, evidence, fix. */
  finding?: { cause: string; evidence: string; fix: string; fixed: boolean; needsSynapseStopped: boolean };
}

export interface Progress {
  label: string;
  done: number;
  total?: number;
  detail?: string;
  start: number;
}

export function stepText(t: Theme, s: StepView, dryRun: boolean, done?: { ok: boolean; message: string; hint?: string }): string {
  const out: string[] = [];
  if (s.why) out.push(`${t.bold('Why:')} ${esc(s.why)}`);
  // a blocked check and the step's failure say the same thing: once
  if (s.check && s.check !== s.result?.message) out.push('', `${t.bold('Found:')} ${esc(s.check)}`);
  if (s.plan?.length) out.push('', t.bold(dryRun ? 'What it would do:' : 'What it will do:'), colourPlan(t, formatPlan(s.plan)));
  if (s.log.length) out.push('', t.bold('Log:'), ...s.log);
  if (s.finding) {
    const f = s.finding;
    out.push('', t.bold('Diagnosis:'), `${t.bold('Cause:')} ${esc(f.cause)}`, `${t.bold('Evidence:')} ${esc(f.evidence)}`, `${t.bold('Fix:')} ${esc(f.fix)}${f.needsSynapseStopped ? ' (Synapse is stopped for it)' : ''}`);
    out.push(f.fixed ? t.fg('green', 'Fixed and verified.') : t.fg('red', 'Not fixed.'));
  }
  if (s.result) {
    const c = s.result.failed ? 'red' : s.status === 'verified' ? 'green' : 'yellow';
    out.push('', `${statusTag(t, s.status)}${t.fg(c, s.result.message)}`);
    if (s.result.hint) out.push(`${t.bold('What to do:')} ${esc(s.result.hint)}`);
  }
  if (done) {
    if (done.message) out.push('', t.fg(done.ok ? 'green' : 'red', done.message));
    if (done.hint) out.push(...(done.message ? [] : ['']), `${t.bold(done.ok ? 'Next:' : 'What to do:')} ${esc(done.hint)}`);
  }
  return out.join('\n');
}

/** "events  [####....]  45% 90/200 0:12 7/s ~0:15 left detail" (plain text; the caller escapes and truncates). */
export function progressLine(p: Progress, now: number): string {
  const count = p.total ? `${p.done}/${p.total}` : String(p.done);
  const elapsed = now - p.start;
  const left = p.total && p.done > 0 && p.done < p.total && elapsed > 2000 ? ` ~${clock(((p.total - p.done) * elapsed) / p.done)} left` : '';
  const rate = elapsed >= 1000 && p.done > 0 ? ` ${Math.round((p.done * 1000) / elapsed)}/s` : '';
  return `${p.label.slice(0, 14).padEnd(14)} ${bar(p.done, p.total, 14)} ${count} ${clock(elapsed)}${rate}${left}${p.detail ? ` ${p.detail}` : ''}`;
}

/** A report event (maintain): its figures, then its bar chart with the bars in colour, fitted to `room` columns. */
export function reportLines(t: Theme, e: Extract<RunnerEvent, { event: 'report' }>, room: number): string[] {
  const labelWidth = Math.max(0, ...e.bars.map((b) => b.label.length));
  const barWidth = Math.max(10, Math.min(30, room - labelWidth - 16));
  const bars = formatBars(e.bars, e.unit, barWidth).map((line) => {
    const bar = line.slice(labelWidth + 1, labelWidth + 1 + barWidth);
    const filled = bar.replace(/\.+$/, '');
    return `${esc(line.slice(0, labelWidth + 1))}${t.fg('cyan', filled)}${esc(bar.slice(filled.length))}${esc(line.slice(labelWidth + 1 + barWidth))}`;
  });
  return [...formatFigures(e.figures).map(esc), ...(bars.length ? ['', ...bars] : [])];
}

/** How a flow ended, for the panel under its steps: once, without repeating the failed step's error shown above it. */
export function resultLines(t: Theme, r: { ok: boolean; message: string; hint?: string }, failed: { title: string; message: string } | undefined, paused: boolean): string[] {
  // a success's next steps can be long: they end the step's text above (scrollable), the panel only points at them
  if (r.ok) return [t.fg('green', `Done: ${r.message}`), ...(r.hint ? [`${t.bold('Next steps:')} at the end of the text above.`] : [])];
  if (paused) return [t.fg('yellow', `Paused: ${r.message}`), ...(r.hint ? [`${t.bold('What to do:')} ${esc(r.hint)}`] : [])];
  if (failed && r.message.includes(failed.message)) return [t.fg('red', `Stopped at "${failed.title}": its error and what to do are in the step above.`)];
  return [t.fg('red', /^Stopped\b/.test(r.message) ? r.message : `Stopped: ${r.message}`), ...(r.hint ? [`${t.bold('What to do:')} ${esc(r.hint)}`] : [])];
}
