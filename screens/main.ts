#!/usr/bin/env node
// The entry point: picks the screen (full-screen, plain, text, JSON), runs the command, and is the one place that exits.
import { HELP, parseCommandLine, type ParsedArgs } from '../src/cli/args.js';
import { COMMAND_HELP } from '../src/cli/help.js';
import type { Ui } from '../src/core/ui.js';
import { isReadOnly } from '../src/cli/read-only.js';
import { toWizardError, WizardError } from '../src/core/errors.js';
import { exitCodeOf, exitCodeOfError } from '../src/core/exit-code.js';
import { MESSAGES } from '../src/core/messages.js';
import { askRecovery, failureText } from '../src/core/recovery.js';
import type { StepFailure } from '../src/core/runner.js';
import { redact } from '../src/core/redact.js';
import { wantsFullscreen } from './fullscreen/wants.js';
import { jsonSink, noPrompter } from './json.js';
import { textSink } from './text.js';

// Commands, the full-screen app and clack load on demand: `--version`, `status --json` and the menu start faster.
const runSetup: typeof import('../src/commands/setup.js').runSetup = async (a, u) => (await import('../src/commands/setup.js')).runSetup(a, u);
const runCutover: typeof import('../src/commands/cutover.js').runCutover = async (a, u) => (await import('../src/commands/cutover.js')).runCutover(a, u);
const runDoctorCommand: typeof import('../src/commands/doctor.js').runDoctorCommand = async (a, u) => (await import('../src/commands/doctor.js')).runDoctorCommand(a, u);
const runMaintain: typeof import('../src/commands/maintain.js').runMaintain = async (a, u) => (await import('../src/commands/maintain.js')).runMaintain(a, u);
const runStatus: typeof import('../src/commands/status.js').runStatus = async (a, u) => (await import('../src/commands/status.js')).runStatus(a, u);
const runSandbox: typeof import('../src/commands/sandbox.js').runSandbox = async (a, u) => (await import('../src/commands/sandbox.js')).runSandbox(a, u);

const VERSION = '0.1.0';

/** `onDiagnose`: the plain mode offers "Diagnose this failure" too, and is told which failure the admin picked. */
async function chooseUi(args: ParsedArgs, signal: AbortSignal, onDiagnose?: (f: StepFailure) => void): Promise<Ui> {
  const f = args.flags;
  const tty = !!process.stdin.isTTY && !!process.stdout.isTTY;
  if (f.json) {
    if (!f.yes && !f['dry-run'] && !isReadOnly(args, false)) throw new WizardError('NOT_A_TTY', MESSAGES.jsonCannotAsk, { hint: MESSAGES.jsonCannotAskHint });
    return { emit: jsonSink(), prompter: noPrompter, signal };
  }
  if (!tty) {
    if (!f.yes && !f['dry-run'] && !isReadOnly(args, false)) throw new WizardError('NOT_A_TTY', MESSAGES.noTerminal, { hint: MESSAGES.noTerminalHint });
    return { emit: textSink(), prompter: noPrompter, signal };
  }
  const { clackPrompter, plainSink } = await import('./plain.js');
  if (f.yes) return { emit: plainSink(), prompter: { ...clackPrompter(), confirm: async () => true }, signal };
  const prompter = clackPrompter();
  return { emit: plainSink(), prompter, signal, onFailure: askRecovery(prompter, args.command === 'doctor' ? undefined : onDiagnose) };
}

/** Runs the command; true when it ended ok. */
async function run(args: ParsedArgs, ui: Ui): Promise<boolean> {
  switch (args.command) {
    case 'setup':
      return (await runSetup(args, ui)).ok;
    case 'cutover':
      return (await runCutover(args, ui)).ok;
    case 'status':
      await runStatus(args, ui);
      return true;
    case 'sandbox':
      return (await runSandbox(args, ui)).ok;
    case 'maintain':
      return (await runMaintain(args, ui)).ok;
    case 'doctor':
      return (await runDoctorCommand(args, ui)).ok;
    default:
      throw new WizardError('BAD_INPUT', MESSAGES.notAvailable(args.command), { hint: MESSAGES.notAvailableHint });
  }
}

async function main(argv: string[]): Promise<number> {
  const abort = new AbortController();
  let interrupts = 0;
  process.on('SIGINT', () => {
    interrupts++;
    abort.abort();
    if (interrupts > 1) process.stderr.write('\nStopping now. Every file edit is atomic; run the command again to continue.\n');
  });
  let args: ParsedArgs | undefined;
  try {
    args = parseCommandLine(argv);
    if (args.flags.help) {
      process.stdout.write(args.command === 'menu' ? HELP : COMMAND_HELP[args.command]);
      return exitCodeOf(true);
    }
    if (args.flags.version) {
      process.stdout.write(`synapse-pg ${VERSION}\n`);
      return exitCodeOf(true);
    }
    if (wantsFullscreen(args)) {
      const parsed = args;
      const { runApp } = await import('./fullscreen/app.js');
      return await runApp(parsed, { abort, argv, version: VERSION, commands: { setup: runSetup, cutover: runCutover, doctor: runDoctorCommand, maintain: runMaintain, status: runStatus, sandbox: runSandbox }, plainUi: () => chooseUi(parsed, abort.signal) });
    }
    let diagnosis: StepFailure | undefined;
    const ui = await chooseUi(args, abort.signal, (f) => (diagnosis = f));
    const ok = await run(args, ui);
    const code = exitCodeOf(ok, abort.signal.aborted);
    // "Diagnose this failure" was chosen: the doctor gets the failure's text, as the full-screen app does
    if (diagnosis && !ok && !abort.signal.aborted) await runDoctorCommand({ ...args, command: 'doctor', positionals: [], flags: { ...args.flags, error: failureText(diagnosis) } }, { ...ui, onFailure: undefined });
    return code;
  } catch (e) {
    const err = toWizardError(e);
    if (args?.flags.json) {
      process.stdout.write(JSON.stringify({ event: 'done', ok: false, message: redact(err.message), hint: err.hint && redact(err.hint), code: err.code }) + '\n');
    } else {
      process.stderr.write(`synapse-pg: ${redact(err.message)}\n${err.hint ? `${MESSAGES.whatToDo(redact(err.hint))}\n` : ''}`);
      if (err.code === 'INTERNAL' && err.stack) process.stderr.write(redact(err.stack) + '\n');
    }
    return exitCodeOfError(err);
  }
}

void main(process.argv.slice(2)).then((code) => process.exit(code));
