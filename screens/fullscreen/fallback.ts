// When the terminal cannot hold the full screen (no TTY, below 80x24, --plain): one notice line, then the plain mode.
import * as p from '@clack/prompts';
import type { ParsedArgs } from '../../src/cli/args.js';
import { WizardError } from '../../src/core/errors.js';
import { exitCodeOf } from '../../src/core/exit-code.js';
import { MESSAGES } from '../../src/core/messages.js';
import { detectOptions } from '../../src/commands/detect-options.js';
import { detect, type MenuCommand } from '../../src/status/detect.js';
import type { AppOptions, CommandResult } from './app.js';
import { detectionLines, itemLabel, menuItems, SUBCOMMANDS } from './menu-model.js';

export async function runPlainFallback(args: ParsedArgs, opts: AppOptions, refusal: string, errOut: NodeJS.WritableStream): Promise<number> {
  let command: MenuCommand;
  let positionals = args.positionals;
  if (args.command === 'menu') {
    if (args.flags.json || !process.stdin.isTTY || !process.stdout.isTTY) {
      throw new WizardError('NOT_A_TTY', 'The main menu needs a terminal.', { hint: 'Name a command instead, for example synapse-pg setup --dry-run (see synapse-pg --help).' });
    }
    if (refusal !== 'plain mode asked for') errOut.write(`synapse-pg: plain mode, ${refusal}.\n`);
    const d = await detect(await detectOptions(args, opts.env ?? process.env));
    p.note(detectionLines(d).map(([label, text]) => `${label.padEnd(11)}${text}`).join('\n'), 'Found on this machine');
    const choice = await p.select({
      message: 'What do you want to do?',
      options: [...menuItems(d).map((i) => ({ value: i.command as string, label: i.label, hint: i.suggested ? `suggested: ${i.suggested}` : undefined })), { value: 'quit', label: 'Quit' }],
    });
    if (p.isCancel(choice) || choice === 'quit') return exitCodeOf(true);
    command = choice as MenuCommand;
    const actions = SUBCOMMANDS[command];
    if (actions) {
      const action = await p.select({ message: `${itemLabel(command)}: what do you want to do?`, options: actions });
      if (p.isCancel(action)) return exitCodeOf(true);
      positionals = [action];
    }
  } else {
    if (refusal !== 'plain mode asked for' && refusal !== 'no terminal') errOut.write(`synapse-pg: plain mode, ${refusal}.\n`);
    command = args.command;
  }
  const runner = opts.commands[command];
  if (!runner) throw new WizardError('BAD_INPUT', MESSAGES.notAvailable(command), { hint: MESSAGES.notAvailableHint });
  const ui = await opts.plainUi();
  let done: CommandResult | undefined;
  const r = await runner({ ...args, command, positionals }, { ...ui, emit: (e) => (e.event === 'done' && (done = e), ui.emit(e)) });
  return exitCodeOf(outcomeOf(done, r).ok, opts.abort.signal.aborted);
}

/** The command's 'done' event says how it ended; a result with ok/message is the fallback. */
export function outcomeOf(done: CommandResult | undefined, result: unknown): CommandResult {
  if (done) return { ok: done.ok, message: done.message, hint: done.hint };
  const r = (result ?? {}) as Partial<CommandResult>;
  return { ok: r.ok !== false, message: typeof r.message === 'string' ? r.message : 'Finished.', hint: r.hint };
}
