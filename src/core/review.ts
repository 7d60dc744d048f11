// One plan, one confirmation: every check of a flow run read-only first (as a dry run does), and what each step would change
// gathered into one review the admin approves once. Steps that must ask on their own (stopping Synapse) still do.
import { toWizardError } from './errors.js';
import type { PlannedAction } from './events.js';
import { formatPlan } from './plan-text.js';
import type { Prompter } from './prompter.js';
import { quietStepContext, type Step } from './step.js';

export interface ReviewItem {
  id: string;
  title: string;
  /** What the step would do, in its own words (its confirm question, or what its check found). */
  message: string;
  actions: PlannedAction[];
  /** Asked again on its own right before it runs (stopping Synapse). */
  own: boolean;
}

export interface ReviewOptions {
  prompter: Prompter;
  signal: AbortSignal;
  /** Steps whose gather already ran (the preflight's); filled with the ones gathered here. */
  gathered: Set<string>;
  redact: (a: PlannedAction) => PlannedAction;
}

/** The steps that would change the system, in order; stops at a blocked or failing check (the run says why there). */
export async function collectReview<C>(steps: Step<C>[], ctx: C, opts: ReviewOptions): Promise<ReviewItem[]> {
  const items: ReviewItem[] = [];
  const sc = quietStepContext(opts.signal);
  for (const step of steps) {
    try {
      if (!opts.gathered.has(step.id)) {
        await step.gather?.(ctx, sc, opts.prompter);
        opts.gathered.add(step.id);
      }
      const c = await step.check(ctx, sc);
      if (c.status === 'blocked') break;
      if (c.status === 'needed') items.push({ id: step.id, title: step.title, message: c.confirm ?? c.message, actions: c.plan.map(opts.redact), own: !!step.ownConfirm });
    } catch (e) {
      if (toWizardError(e).code === 'CANCELLED') throw e;
      break;
    }
  }
  return items;
}

/** The review without the plans (printed above it in a dry run): each step's question, in order. */
export function reviewOutline(items: ReviewItem[]): string {
  return items.map((i, n) => `${n + 1}. ${i.title}${i.own ? ' (asks again right before it runs)' : ''}: ${i.message}`).join('\n');
}

/** The review as text: each step's question and exactly what it changes, then the notes (downtime, what is undone). */
export function reviewText(items: ReviewItem[], notes: readonly string[] = []): string {
  const parts = items.map((i, n) => `${n + 1}. ${i.title}${i.own ? ' (asks again right before it runs)' : ''}\n${i.message}\n${formatPlan(i.actions)}`);
  return [...parts, ...(notes.length ? [notes.join('\n')] : [])].join('\n\n');
}
