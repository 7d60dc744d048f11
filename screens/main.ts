#!/usr/bin/env node
// The entry point: picks the screen (full-screen, plain, text, JSON), runs the command, and is the one place that exits.
import { HELP, parseCommandLine, type ParsedArgs } from '../src/cli/args.js';
import type { Ui } from '../src/core/ui.js';
import { toWizardError, WizardError } from '../src/core/errors.js';
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

/** Commands that only look (status, sandbox status, maintain report) need no --yes to run without a terminal. */
function readOnly(args: ParsedArgs): boolean {
  return args.command === 'status' || (args.command === 'sandbox' && (args.positionals[0] ?? 'status') === 'status') || (args.command === 'maintain' && (args.positionals[0] ?? 'report') === 'report');
}

async function chooseUi(args: ParsedArgs, signal: AbortSignal): Promise<Ui> {
  const f = args.flags;
  const tty = !!process.stdin.isTTY && !!process.stdout.isTTY;
  if (f.json) {
    if (!f.yes && !f['dry-run'] && !readOnly(args)) throw new WizardError('NOT_A_TTY', '--json mode cannot ask questions.', { hint: 'Add --yes to apply, or --dry-run to only show the plan.' });
    return { emit: jsonSink(), prompter: noPrompter, signal };
  }
  if (!tty) {
    if (!f.yes && !f['dry-run'] && !readOnly(args)) throw new WizardError('NOT_A_TTY', 'There is no terminal to ask questions on, so nothing was changed.', { hint: 'Run it in a terminal, or pass --yes to apply without asking (try --dry-run first).' });
    return { emit: textSink(), prompter: noPrompter, signal };
  }
  const { clackPrompter, plainSink } = await import('./plain.js');
  return { emit: plainSink(), prompter: f.yes ? { ...clackPrompter(), confirm: async () => true } : clackPrompter(), signal };
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
      process.stdout.write(HELP);
      return 0;
    }
    if (args.flags.version) {
      process.stdout.write(`synapse-pg ${VERSION}\n`);
      return 0;
    }
    if (wantsFullscreen(args)) {
      const parsed = args;
      const { runApp } = await import('./fullscreen/app.js');
      return await runApp(parsed, { abort, argv, version: VERSION, commands: { setup: runSetup, cutover: runCutover, doctor: runDoctorCommand, maintain: runMaintain, status: runStatus, sandbox: runSandbox }, plainUi: () => chooseUi(parsed, abort.signal) });
    }
    const ui = await chooseUi(args, abort.signal);
    switch (args.command) {
      case 'setup': {
        const r = await runSetup(args, ui);
        return r.ok ? 0 : abort.signal.aborted ? 130 : 1;
      }
      case 'cutover': {
        const r = await runCutover(args, ui);
        return r.ok ? 0 : abort.signal.aborted ? 130 : 1;
      }
      case 'status':
        await runStatus(args, ui);
        return 0;
      case 'sandbox':
        return (await runSandbox(args, ui)).ok ? 0 : 1;
      case 'maintain': {
        const r = await runMaintain(args, ui);
        return r.ok ? 0 : abort.signal.aborted ? 130 : 1;
      }
      case 'doctor': {
        const r = await runDoctorCommand(args, ui);
        return r.ok ? 0 : abort.signal.aborted ? 130 : 1;
      }
      default:
        throw new WizardError('BAD_INPUT', `"${args.command}" is not available in this version yet.`, { hint: 'Run synapse-pg setup, or synapse-pg --help.' });
    }
  } catch (e) {
    const err = toWizardError(e);
    if (args?.flags.json) {
      process.stdout.write(JSON.stringify({ event: 'done', ok: false, message: redact(err.message), hint: err.hint && redact(err.hint), code: err.code }) + '\n');
    } else {
      process.stderr.write(`synapse-pg: ${redact(err.message)}\n${err.hint ? `What to do: ${redact(err.hint)}\n` : ''}`);
      if (err.code === 'INTERNAL' && err.stack) process.stderr.write(redact(err.stack) + '\n');
    }
    if (err.code === 'CANCELLED') return 130;
    return err.code === 'BAD_INPUT' || err.code === 'NOT_A_TTY' ? 2 : 1;
  }
}

void main(process.argv.slice(2)).then((code) => process.exit(code));
