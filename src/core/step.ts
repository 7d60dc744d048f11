// The step model: check (read-only) -> apply (through adapters) -> verify (proves the postcondition on the real system).
import type { PlannedAction } from './events.js';
import type { Prompter } from './prompter.js';

export type CheckResult =
  /** Already in the wanted state; nothing to do. */
  | { status: 'done'; message: string }
  /** Needs changes; `plan` says exactly what apply will do (shown in --dry-run and before confirming). */
  | { status: 'needed'; message: string; plan: PlannedAction[]; confirm?: string }
  /** Cannot go on; the admin must act (hint says how). */
  | { status: 'blocked'; message: string; hint?: string; code?: string }
  /** Not applicable here (e.g. no config found); the flow continues. */
  | { status: 'skip'; message: string };

export interface VerifyResult {
  ok: boolean;
  message: string;
  hint?: string;
}

export interface StepContext {
  dryRun: boolean;
  signal: AbortSignal;
  log(message: string, level?: 'info' | 'warn' | 'error'): void;
  progress(label: string, done: number, total?: number, detail?: string): void;
}

/** A step context that shows nothing: for checks run only to learn something (the doctor reusing setup's checks). */
export function quietStepContext(signal: AbortSignal = new AbortController().signal): StepContext {
  return { dryRun: true, signal, log: () => undefined, progress: () => undefined };
}

export interface Step<C> {
  id: string;
  title: string;
  /** Why the step exists, in the admin's words. */
  why: string;
  /** What the step says when the admin declines its confirm (default: nothing was changed by this step). */
  declined?: string;
  /** Asks its confirm on its own even after the whole plan was approved (stopping Synapse: the downtime starts). */
  ownConfirm?: boolean;
  /** Later checks need what this one finds out: a preflight stops here when it is blocked. */
  prerequisite?: boolean;
  /**
   * Gathers what check needs before it decides: files the admin named, answers to questions. The runner calls it
   * before every check (preflight included) and hands it the prompter only when someone can answer.
   */
  gather?(ctx: C, sc: StepContext, ask: Prompter | undefined): Promise<void>;
  /** Reads the system and decides (done, needed with its plan, blocked, skip); changes nothing, asks nothing. */
  check(ctx: C, sc: StepContext): Promise<CheckResult>;
  apply(ctx: C, sc: StepContext): Promise<string>;
  verify(ctx: C, sc: StepContext): Promise<VerifyResult>;
}
