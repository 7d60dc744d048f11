// --json: one JSON object per line on stdout, for automation. Names of events and fields are a public contract.
import type { RunnerEvent } from '../src/core/events.js';
import type { Prompter } from '../src/core/prompter.js';
import { WizardError } from '../src/core/errors.js';
import { redactValue } from '../src/core/redact.js';

export function jsonSink(out: NodeJS.WritableStream = process.stdout): (e: RunnerEvent) => void {
  return (e) => {
    out.write(JSON.stringify(redactValue(e)) + '\n');
  };
}

/** Nobody answers in --json mode: anything that would need an answer stops the flow with a clear message. */
export const noPrompter: Prompter = {
  interactive: false,
  async confirm() {
    throw new WizardError('NOT_A_TTY', 'A confirmation is needed, but there is no one to ask.', { hint: 'Pass --yes to apply, or --dry-run to only look.' });
  },
  async text(q) {
    if (q.initial !== undefined) return q.initial;
    throw new WizardError('NOT_A_TTY', `"${q.message}" needs an answer, but there is no terminal.`, { hint: 'Give the matching flag on the command line.' });
  },
  async password(q) {
    throw new WizardError('NOT_A_TTY', `"${q.message}" needs a password, but there is no terminal.`, { hint: 'Use --db-password-file FILE.' });
  },
  async select(q) {
    if (q.initial !== undefined) return q.initial;
    throw new WizardError('NOT_A_TTY', `"${q.message}" needs a choice, but there is no terminal.`, { hint: 'Give the matching flag on the command line.' });
  },
};
