// The runner's preflight: every check once, read-only, before anything is applied, so a run that cannot finish changes nothing.
import { toWizardError } from './errors.js';
import type { EventSink } from './events.js';
import type { Prompter } from './prompter.js';
import { redact } from './redact.js';
import type { Step, StepContext } from './step.js';

interface PreflightOptions {
  prompter: Prompter;
  emit: EventSink;
  /** The runner's step context for a step id (logs and progress go to that step). */
  contextFor: (id: string) => StepContext;
  /** Filled with the ids of steps whose gather ran here, so the run does not ask their questions again. */
  gathered?: Set<string>;
}

/** Runs every check; returns what is blocked (and emits those steps as failed). */
export async function preflight<C>(steps: Step<C>[], ctx: C, opts: PreflightOptions): Promise<{ message: string; hint?: string }[]> {
  const out: { message: string; hint?: string }[] = [];
  for (const step of steps) {
    const sc = opts.contextFor(step.id);
    let message: string | undefined;
    let hint: string | undefined;
    let code = 'BLOCKED';
    let thrown = false;
    try {
      await step.gather?.(ctx, sc, opts.prompter.interactive ? opts.prompter : undefined);
      opts.gathered?.add(step.id);
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
    opts.emit({ event: 'step-start', id: step.id, title: step.title, why: step.why });
    opts.emit({ event: 'check', id: step.id, status: 'blocked', message: redact(message) });
    opts.emit({ event: 'step', id: step.id, status: 'failed', message: redact(message), hint: hint && redact(hint), code });
    out.push({ message: `${step.title}: ${message}`, hint });
    // later checks cannot be trusted without what this one should have found out
    if (thrown || step.prerequisite) break;
  }
  return out;
}
