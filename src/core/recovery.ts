// What the admin may do after a failed step, in every screen that can ask: retry it, let the doctor diagnose the failure, or stop.
import type { Prompter } from './prompter.js';
import type { StepFailure } from './runner.js';

export type Recovery = 'retry' | 'diagnose' | 'stop';

export const RECOVERY_LABELS: Record<Recovery, string> = {
  retry: 'Retry (steps already done are only verified again)',
  diagnose: 'Diagnose this failure (troubleshooting checks)',
  stop: 'Stop here',
};

/** The error text the doctor is given to diagnose a failure (its --error). */
export function failureText(f: { message: string; hint?: string }): string {
  return `${f.message}${f.hint ? ` ${f.hint}` : ''}`;
}

/**
 * The runner's onFailure for a screen that can ask: retry runs the step again; diagnose stops the flow and
 * tells `diagnose` which failure to hand to the doctor.
 */
export function askRecovery(prompter: Prompter, diagnose?: (f: StepFailure) => void): (f: StepFailure) => Promise<'retry' | 'stop'> {
  return async (f) => {
    const choices: Recovery[] = diagnose ? ['retry', 'diagnose', 'stop'] : ['retry', 'stop'];
    const choice = await prompter.select<Recovery>({ message: `${f.title} failed (see above). What now?`, options: choices.map((value) => ({ value, label: RECOVERY_LABELS[value] })), initial: 'stop' });
    if (choice === 'diagnose') diagnose?.(f);
    return choice === 'retry' ? 'retry' : 'stop';
  };
}
