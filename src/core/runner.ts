// Runs a flow's steps in order and stops at the first step that is blocked, fails, or cannot be verified.
import { toWizardError, WizardError } from './errors.js';
import type { EventSink, PlannedAction } from './events.js';
import type { Prompter } from './prompter.js';
import { redact } from './redact.js';
import type { Step, StepContext } from './step.js';
import { formatPlan } from './plan-text.js';

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
}

export interface FlowResult {
  ok: boolean;
  message: string;
  hint?: string;
  /** Ids of steps that were applied (changed the system) in this run. */
  applied: string[];
}

export async function runFlow<C>(steps: Step<C>[], ctx: C, opts: RunOptions): Promise<FlowResult> {
  const { emit } = opts;
  emit({ event: 'flow', id: opts.flowId, title: opts.title, steps: steps.map((s) => ({ id: s.id, title: s.title })), dryRun: opts.dryRun });
  const applied: string[] = [];
  let planned = 0;
  const finish = (ok: boolean, message: string, hint?: string): FlowResult => {
    emit({ event: 'done', ok, message: redact(message), hint: hint && redact(hint) });
    return { ok, message, hint, applied };
  };

  if (opts.preflight && !opts.dryRun) {
    const blocked = await preflight(steps, ctx, opts);
    if (blocked.length) {
      const hint = blocked.map((b) => b.hint).filter(Boolean).join(' ');
      return finish(false, `Nothing was changed: ${blocked.map((b) => b.message).join(' ')}`, hint || undefined);
    }
  }

  for (const step of steps) {
    if (opts.signal.aborted) return finish(false, 'Stopped at your request before: ' + step.title + '. Nothing was left half-done.', 'Run the same command again to continue where it stopped.');
    const sc = stepContext(step.id, opts);
    emit({ event: 'step-start', id: step.id, title: step.title, why: step.why });
    try {
      const check = await step.check(ctx, sc);
      emit({ event: 'check', id: step.id, status: check.status, message: redact(check.message) });
      if (check.status === 'skip') {
        emit({ event: 'step', id: step.id, status: 'skipped', message: redact(check.message) });
        continue;
      }
      if (check.status === 'blocked') {
        emit({ event: 'step', id: step.id, status: 'failed', message: redact(check.message), hint: check.hint && redact(check.hint), code: check.code ?? 'BLOCKED' });
        return finish(false, `${step.title}: ${check.message}`, check.hint);
      }
      if (check.status === 'needed') {
        const actions = check.plan.map(redactAction);
        emit({ event: 'plan', id: step.id, actions });
        if (opts.dryRun) {
          planned++;
          emit({ event: 'step', id: step.id, status: 'planned', message: redact(check.message) });
          continue;
        }
        if (check.confirm && !opts.yes) {
          if (!opts.prompter.interactive) {
            throw new WizardError('NOT_A_TTY', `${step.title} needs your confirmation, but there is no terminal to ask on.`, {
              hint: 'Run it in a terminal, or pass --yes to apply without asking (use --dry-run first to see what would change).',
            });
          }
          const yes = await opts.prompter.confirm({ message: check.confirm, details: formatPlan(actions) });
          if (!yes) {
            emit({ event: 'step', id: step.id, status: 'skipped', message: 'You declined; nothing was changed by this step.' });
            return finish(false, `Stopped: you declined "${step.title}". The steps before it are done and verified; nothing after it was run.`, 'Run the same command again when you are ready.');
          }
        }
        const message = await step.apply(ctx, sc);
        applied.push(step.id);
        const v = await step.verify(ctx, sc);
        if (!v.ok) {
          emit({ event: 'step', id: step.id, status: 'failed', message: redact(`Applied, but not verified: ${v.message}`), hint: v.hint && redact(v.hint), code: 'UNVERIFIED' });
          return finish(false, `${step.title} could not be verified: ${v.message}`, v.hint);
        }
        emit({ event: 'step', id: step.id, status: 'applied', message: redact(`${message} Verified: ${v.message}`) });
        continue;
      }
      if (opts.dryRun && planned > 0) {
        // its proof may need what earlier planned steps would create (a role to log in as)
        emit({ event: 'step', id: step.id, status: 'done', message: redact(`${check.message} (Proven after the planned steps are applied.)`) });
        continue;
      }
      // done: prove it anyway, so nothing proceeds on an unverified step
      const v = await step.verify(ctx, sc);
      if (!v.ok) {
        emit({ event: 'step', id: step.id, status: 'failed', message: redact(`Looked done, but not verified: ${v.message}`), hint: v.hint && redact(v.hint), code: 'UNVERIFIED' });
        return finish(false, `${step.title} could not be verified: ${v.message}`, v.hint);
      }
      emit({ event: 'step', id: step.id, status: 'done', message: redact(`${check.message} Verified: ${v.message}`) });
    } catch (e) {
      const err = toWizardError(e);
      if (err.code === 'CANCELLED' || opts.signal.aborted) {
        emit({ event: 'step', id: step.id, status: 'failed', message: 'Stopped at your request.', code: 'CANCELLED' });
        return finish(false, `Stopped at your request during: ${step.title}.`, 'Every file edit is atomic, so nothing is half-written. Run the same command again to continue.');
      }
      emit({ event: 'step', id: step.id, status: 'failed', message: redact(err.message), hint: err.hint && redact(err.hint), code: err.code });
      return finish(false, `${step.title}: ${err.message}`, err.hint);
    }
  }
  if (opts.dryRun) return finish(true, planned ? `Dry run: nothing was changed. ${planned} step(s) would change the system, as shown above.` : 'Dry run: nothing was changed, and nothing needs to be.');
  return finish(true, applied.length ? `All steps verified (${applied.length} applied, ${steps.length - applied.length} already done or skipped).` : 'Everything was already in place; all steps verified, nothing changed.');
}

/** Every check, read-only, before anything is applied; returns what is blocked (and emits those steps as failed). */
async function preflight<C>(steps: Step<C>[], ctx: C, opts: RunOptions): Promise<{ message: string; hint?: string }[]> {
  const out: { message: string; hint?: string }[] = [];
  for (const step of steps) {
    const sc = stepContext(step.id, opts);
    let message: string | undefined;
    let hint: string | undefined;
    let code = 'BLOCKED';
    let thrown = false;
    try {
      const c = await step.check(ctx, sc);
      if (c.status === 'blocked') {
        message = c.message;
        hint = c.hint;
        code = c.code ?? code;
      }
    } catch (e) {
      const err = toWizardError(e);
      if (err.code === 'CANCELLED' || err.code === 'NOT_A_TTY') throw err;
      message = err.message;
      hint = err.hint;
      code = err.code;
      thrown = true;
    }
    if (message === undefined) continue;
    emit(opts, step, message, hint, code);
    out.push({ message: `${step.title}: ${message}`, hint });
    // later checks cannot be trusted without what this one should have found out
    if (thrown || step.prerequisite) break;
  }
  return out;
}

function emit<C>(opts: RunOptions, step: Step<C>, message: string, hint: string | undefined, code: string) {
  opts.emit({ event: 'step-start', id: step.id, title: step.title, why: step.why });
  opts.emit({ event: 'check', id: step.id, status: 'blocked', message: redact(message) });
  opts.emit({ event: 'step', id: step.id, status: 'failed', message: redact(message), hint: hint && redact(hint), code });
}

function stepContext(id: string, opts: RunOptions): StepContext {
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
