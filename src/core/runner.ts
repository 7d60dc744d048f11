// Runs a flow's steps in order: every flow (setup, cutover, maintain, the doctor's fixes) goes through here and nowhere else.
import { toWizardError, WizardError } from './errors.js';
import type { EventSink, PlannedAction } from './events.js';
import type { Prompter } from './prompter.js';
import { redact } from './redact.js';
import type { Step, StepContext } from './step.js';
import { formatPlan } from './plan-text.js';
import { preflight } from './preflight.js';
import { MESSAGES } from './messages.js';
import { collectReview, reviewText, type ReviewItem } from './review.js';

export interface RunOptions {
  flowId: string;
  title: string;
  dryRun: boolean;
  /** --yes: apply without asking. */
  yes: boolean;
  prompter: Prompter;
  emit: EventSink;
  signal: AbortSignal;
  /**
   * Run every check before applying anything, and stop with all blocked findings listed at once.
   * For flows whose checks do not depend on earlier steps having been applied (setup).
   */
  preflight?: boolean;
  /**
   * One plan, one confirmation: after the read-only checks, every change of the flow is shown in one review and applied on one
   * yes (a step with ownConfirm still asks on its own). Skipped by --yes; --dry-run shows the same plans.
   */
  review?: boolean;
  /** Said under the review: the downtime, what is undone if a step fails. */
  reviewNotes?: readonly string[];
  /** The flow only reads (a report): its success is not worded as "already in place". */
  readOnly?: boolean;
  /** A step that fails, is blocked or declined does not stop the flow: the next one runs (the doctor's findings stand alone). */
  keepGoing?: boolean;
  /** Asked when a step fails (not blocked, declined or stopped): 'retry' runs it again from its check. */
  onFailure?: (failure: StepFailure) => Promise<'retry' | 'stop'>;
  /** Replaces the closing message (and may say ok differently); runs on every way out, also after Ctrl-C. */
  summarize?: (outcome: FlowOutcome, ending: { ok: boolean; message: string; hint?: string }) => Promise<{ ok: boolean; message: string; hint?: string }>;
}

export interface StepFailure {
  id: string;
  title: string;
  message: string;
  hint?: string;
  code: string;
}

/** Each step's last status in this run, in the runner's words; steps not reached are absent. */
export interface FlowOutcome {
  statuses: Map<string, 'done' | 'applied' | 'skipped' | 'failed' | 'planned' | 'declined'>;
  /** Steps whose apply ran (changed the system), verified or not. */
  applied: string[];
  cancelled: boolean;
}

export interface FlowResult {
  ok: boolean;
  message: string;
  hint?: string;
  /** Ids of steps that were applied (changed the system) in this run. */
  applied: string[];
}

type StepEnd = { stop: false } | { stop: true; message: string; hint?: string; cancelled?: boolean };

export async function runFlow<C>(steps: Step<C>[], ctx: C, opts: RunOptions): Promise<FlowResult> {
  const { emit } = opts;
  emit({ event: 'flow', id: opts.flowId, title: opts.title, steps: steps.map((s) => ({ id: s.id, title: s.title })), dryRun: opts.dryRun });
  const outcome: FlowOutcome = { statuses: new Map(), applied: [], cancelled: false };
  const finish = async (ok: boolean, message: string, hint?: string): Promise<FlowResult> => {
    const s = opts.summarize ? await opts.summarize(outcome, { ok, message, hint }) : { ok, message, hint };
    emit({ event: 'done', ok: s.ok, message: redact(s.message), hint: s.hint && redact(s.hint) });
    return { ok: s.ok, message: s.message, hint: s.hint, applied: outcome.applied };
  };

  // what the preflight asked (a password) is not asked again when its step runs
  const gathered = new Set<string>();
  if (opts.preflight && !opts.dryRun) {
    const blocked = await preflight(steps, ctx, { ...opts, contextFor: (id) => stepContext(id, opts), gathered });
    if (blocked.length) {
      const hint = blocked.map((b) => b.hint).filter(Boolean).join(' ');
      return finish(false, `Nothing was changed: ${blocked.map((b) => b.message).join(' ')}`, hint || undefined);
    }
  }

  const approved = new Set<string>();
  if (opts.review && !opts.dryRun && !opts.yes && opts.prompter.interactive) {
    const items = await collectReview(steps, ctx, { prompter: opts.prompter, signal: opts.signal, gathered, redact: redactAction });
    const asked = items.filter((i) => !i.own);
    if (asked.length) {
      emit({ event: 'review', id: opts.flowId, steps: items });
      const notes = [...(items.some((i) => i.own) ? [MESSAGES.reviewOwnConfirm] : []), ...(opts.reviewNotes ?? [])];
      if (!(await opts.prompter.confirm({ message: MESSAGES.reviewQuestion(asked.length), details: reviewText(items, notes) }))) {
        return finish(false, MESSAGES.declinedPlan, MESSAGES.runAgainWhenReady);
      }
      for (const i of asked) approved.add(i.id);
    }
  }

  let stopped: { message: string; hint?: string } | undefined;
  for (const step of steps) {
    if (opts.signal.aborted) {
      outcome.cancelled = true;
      return finish(false, MESSAGES.stoppedBefore(step.title), MESSAGES.runAgain);
    }
    let end: StepEnd;
    for (;;) {
      end = await runStep(step, ctx, opts, outcome, gathered.delete(step.id), approved.has(step.id));
      const status = outcome.statuses.get(step.id);
      if (!end.stop || end.cancelled || status !== 'failed' || !opts.onFailure) break;
      const failure = lastFailure.get(outcome);
      if (!failure || (await opts.onFailure(failure)) !== 'retry') break;
    }
    if (end.stop && end.cancelled) {
      outcome.cancelled = true;
      return finish(false, end.message, end.hint);
    }
    if (end.stop && !opts.keepGoing) return finish(false, end.message, end.hint);
    if (end.stop) stopped ??= end;
  }
  if (stopped) return finish(false, stopped.message, stopped.hint);
  const planned = [...outcome.statuses.values()].filter((s) => s === 'planned').length;
  // --dry-run ends with the same review a real run asks to approve once
  const items = dryRunPlans.get(outcome) ?? [];
  if (opts.dryRun && opts.review && items.length) emit({ event: 'review', id: opts.flowId, steps: items });
  if (opts.dryRun) return finish(true, planned ? `Dry run: nothing was changed. ${planned} step(s) would change the system, as shown above.` : 'Dry run: nothing was changed, and nothing needs to be.');
  const n = outcome.applied.length;
  return finish(true, n ? `All steps verified (${n} applied, ${steps.length - n} already done or skipped).` : opts.readOnly ? 'Complete; it only reads, so nothing was changed.' : 'Everything was already in place; all steps verified, nothing changed.');
}

const lastFailure = new WeakMap<FlowOutcome, StepFailure>();
/** In a dry run, what each planned step would ask and do: the review a real run shows. */
const dryRunPlans = new WeakMap<FlowOutcome, ReviewItem[]>();

/** One step: check, then (confirmed) apply and verify, or verify what is already done; every state is announced as an event. */
async function runStep<C>(step: Step<C>, ctx: C, opts: RunOptions, outcome: FlowOutcome, gathered = false, approved = false): Promise<StepEnd> {
  const { emit } = opts;
  const sc = stepContext(step.id, opts);
  const set = (status: Parameters<FlowOutcome['statuses']['set']>[1]) => outcome.statuses.set(step.id, status);
  const fail = (message: string, hint: string | undefined, code: string, flowMessage: string): StepEnd => {
    emit({ event: 'step', id: step.id, status: 'failed', message: redact(message), hint: hint && redact(hint), code });
    set('failed');
    lastFailure.set(outcome, { id: step.id, title: step.title, message, hint, code });
    return { stop: true, message: flowMessage, hint };
  };
  emit({ event: 'step-start', id: step.id, title: step.title, why: step.why });
  try {
    if (!gathered) await step.gather?.(ctx, sc, opts.prompter.interactive ? opts.prompter : undefined);
    const check = await step.check(ctx, sc);
    emit({ event: 'check', id: step.id, status: check.status, message: redact(check.message) });
    if (check.status === 'skip') {
      emit({ event: 'step', id: step.id, status: 'skipped', message: redact(check.message) });
      set('skipped');
      return { stop: false };
    }
    if (check.status === 'blocked') return fail(check.message, check.hint, check.code ?? 'BLOCKED', `${step.title}: ${check.message}`);
    if (check.status === 'needed') {
      const actions = check.plan.map(redactAction);
      emit({ event: 'plan', id: step.id, actions });
      if (opts.dryRun) {
        dryRunPlans.set(outcome, [...(dryRunPlans.get(outcome) ?? []), { id: step.id, title: step.title, message: redact(check.confirm ?? check.message), actions, own: !!step.ownConfirm }]);
        emit({ event: 'step', id: step.id, status: 'planned', message: redact(check.message) });
        set('planned');
        return { stop: false };
      }
      if (check.confirm && !opts.yes && !approved) {
        if (!opts.prompter.interactive) {
          throw new WizardError('NOT_A_TTY', `${step.title} needs your confirmation, but there is no terminal to ask on.`, {
            hint: 'Run it in a terminal, or pass --yes to apply without asking (use --dry-run first to see what would change).',
          });
        }
        if (!(await opts.prompter.confirm({ message: check.confirm, details: formatPlan(actions) }))) {
          emit({ event: 'step', id: step.id, status: 'skipped', message: step.declined ?? MESSAGES.declined });
          set('declined');
          return { stop: true, message: MESSAGES.declinedFlow(step.title), hint: MESSAGES.runAgainWhenReady };
        }
      }
      emit({ event: 'step-apply', id: step.id });
      const message = await step.apply(ctx, sc);
      outcome.applied.push(step.id);
      set('applied');
      const v = await step.verify(ctx, sc);
      if (!v.ok) return fail(`Applied, but not verified: ${v.message}`, v.hint, 'UNVERIFIED', `${step.title} could not be verified: ${v.message}`);
      emit({ event: 'step', id: step.id, status: 'applied', message: redact(`${message} Verified: ${v.message}`) });
      return { stop: false };
    }
    if (opts.dryRun && [...outcome.statuses.values()].includes('planned')) {
      // its proof may need what earlier planned steps would create (a role to log in as)
      emit({ event: 'step', id: step.id, status: 'done', message: redact(`${check.message} (Proven after the planned steps are applied.)`) });
      set('done');
      return { stop: false };
    }
    // done: prove it anyway, so nothing proceeds on an unverified step
    const v = await step.verify(ctx, sc);
    if (!v.ok) return fail(`Looked done, but not verified: ${v.message}`, v.hint, 'UNVERIFIED', `${step.title} could not be verified: ${v.message}`);
    emit({ event: 'step', id: step.id, status: 'done', message: redact(`${check.message} Verified: ${v.message}`) });
    set('done');
    return { stop: false };
  } catch (e) {
    const err = toWizardError(e);
    if (err.code === 'CANCELLED' || opts.signal.aborted) {
      emit({ event: 'step', id: step.id, status: 'failed', message: 'Stopped at your request.', code: 'CANCELLED' });
      set('failed');
      return { stop: true, cancelled: true, message: MESSAGES.stoppedDuring(step.title), hint: MESSAGES.atomicRunAgain };
    }
    return fail(err.message, err.hint, err.code, `${step.title}: ${err.message}`);
  }
}

export function stepContext(id: string, opts: Pick<RunOptions, 'dryRun' | 'signal' | 'emit'>): StepContext {
  return {
    dryRun: opts.dryRun,
    signal: opts.signal,
    log: (message, level = 'info') => opts.emit({ event: 'log', id, level, message: redact(message) }),
    progress: (label, done, total, detail) => opts.emit({ event: 'progress', id, label, done, total, detail: detail && redact(detail) }),
  };
}

/** A plan as it may be shown: every secret replaced. */
export function redactAction(a: PlannedAction): PlannedAction {
  switch (a.kind) {
    case 'sql':
      return { ...a, sql: redact(a.sql) };
    case 'command':
      return { ...a, argv: a.argv.map(redact) };
    case 'file':
      return { ...a, diff: redact(a.diff) };
    case 'note':
      return { ...a, text: redact(a.text) };
  }
}
