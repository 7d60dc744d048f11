// The full-screen app: the main menu, a flow screen per command, retry or quit on failure, and the safe pause on Ctrl-C or q.
import type { ParsedArgs } from '../../src/cli/args.js';
import type { Ui } from '../../src/core/ui.js';
import { formatArgv } from '../../src/core/argv.js';
import { toWizardError } from '../../src/core/errors.js';
import { exitCodeOf } from '../../src/core/exit-code.js';
import { failureText, RECOVERY_LABELS } from '../../src/core/recovery.js';
import { MESSAGES } from '../../src/core/messages.js';
import { redact } from '../../src/core/redact.js';
import { detectOptions } from '../../src/commands/detect-options.js';
import { detect, type MenuCommand } from '../../src/status/detect.js';
import { fullscreenPrompter, type DialogHost } from './dialogs.js';
import { outcomeOf, runPlainFallback } from './fallback.js';
import { FlowView } from './flow-view.js';
import { KeyRouter } from './keys.js';
import { itemLabel, SUBCOMMANDS } from './menu-model.js';
import { MenuView } from './menu-view.js';
import { closeScreen, fullscreenRefusal, openScreen, type TerminalStreams } from './terminal.js';
export { wantsFullscreen } from './wants.js';
import { makeTheme } from './theme.js';

export interface CommandResult {
  ok: boolean;
  message: string;
  hint?: string;
}

/** A command as main knows it; what it returns may be anything: the outcome is read from its 'done' event. */
export type CommandRunner = (args: ParsedArgs, ui: Ui) => Promise<unknown>;

export interface AppOptions {
  abort: AbortController;
  /** The command line as typed, for the "how to resume" line. */
  argv: string[];
  version: string;
  /** The commands this version implements; the others say so plainly. */
  commands: Partial<Record<MenuCommand, CommandRunner>>;
  /** The line-by-line Ui used when the terminal cannot hold the full screen. */
  plainUi: () => Ui | Promise<Ui>;
  streams?: TerminalStreams & { error?: NodeJS.WritableStream };
  env?: NodeJS.ProcessEnv;
}

/** `summary`: each step's last status, printed after the full screen is gone so it stays in the scrollback. */
type Outcome =
  | { kind: 'finished'; ok: boolean; message: string; hint?: string; summary?: string[] }
  | { kind: 'menu' }
  | { kind: 'parent' }
  | { kind: 'paused'; command: MenuCommand; message: string; hint?: string; forced: boolean; summary: string[] };


/** Runs the app; returns the exit code for main (which alone exits). */
export async function runApp(args: ParsedArgs, opts: AppOptions): Promise<number> {
  const streams = opts.streams ?? { input: process.stdin, output: process.stdout, error: process.stderr };
  const errOut = streams.error ?? process.stderr;
  const refusal = args.flags.plain || args.flags.json ? 'plain mode asked for' : fullscreenRefusal(streams);
  if (refusal) return runPlainFallback(args, opts, refusal, errOut);

  const env = opts.env ?? process.env;
  const theme = makeTheme(env);
  const screen = openScreen(streams, env);
  const signal = opts.abort.signal;
  let onInterrupt = () => opts.abort.abort();
  const router = new KeyRouter(screen, () => onInterrupt());
  const host: DialogHost = { screen, router, theme, signal, pause: () => onInterrupt() };
  let outcome: Outcome;
  try {
    if (args.command === 'menu') {
      outcome = { kind: 'menu' };
      while (outcome.kind === 'menu') {
        const menu = new MenuView(screen, theme, opts.version);
        void detectOptions(args, env).then(detect).then((d) => signal.aborted || menu.setDetection(d), () => undefined);
        const choice = await menu.choose(router, signal);
        menu.destroy();
        if (choice === 'quit') return exitCodeOf(true);
        outcome = await runCommand(choice, true);
      }
    } else {
      outcome = await runCommand(args.command, false);
    }
  } finally {
    closeScreen(screen);
  }
  return report(outcome);

  /** Runs one command in a flow screen until the admin leaves it; `parent` is the failed command a diagnosis was started from. */
  async function runCommand(command: MenuCommand, fromMenu: boolean, parent?: { command: MenuCommand; error: string }): Promise<Outcome> {
    const prompter = fullscreenPrompter(host);
    const runner = opts.commands[command];
    if (!runner) {
      const back = await prompter.select({
        message: `"${command}" is not available in this version yet: nothing was run and nothing was changed.`,
        options: fromMenu ? [{ value: 'menu', label: 'Back to the menu' }, { value: 'quit', label: 'Quit' }] : [{ value: 'quit', label: 'Quit' }],
      }).catch(() => 'quit' as const);
      return back === 'menu' ? { kind: 'menu' } : { kind: 'finished', ok: false, message: MESSAGES.notAvailable(command), hint: MESSAGES.notAvailableHint };
    }
    const positionals = parent ? [] : args.command === 'menu' ? await subcommand(command, prompter) : args.positionals;
    const flags = parent ? { ...args.flags, error: parent.error } : args.flags;
    if (!positionals) return { kind: 'menu' };
    for (;;) {
      const view = new FlowView(screen, theme, itemLabel(command));
      host.reserveBottom = (rows) => view.reserve(rows);
      const popKeys = router.push((ch, key) => (ch === 'q' ? onInterrupt() : view.handleKey(ch, key)));
      let forced!: () => void;
      let wasForced = false;
      const forcedStop = new Promise<unknown>((resolve) => (forced = () => resolve({ ok: false, message: 'Stopped without waiting for the current step to finish.' })));
      onInterrupt = () => {
        if (signal.aborted) return (wasForced = true), forced();
        opts.abort.abort();
        view.setNotice(theme.fg('yellow', 'Pausing: the current step finishes its atomic action first (Ctrl-C again: stop now).'));
      };
      let r: CommandResult;
      try {
        const result = await Promise.race([runner({ ...args, command, positionals, flags }, { emit: (e) => view.emit(e), prompter, signal }), forcedStop]);
        r = outcomeOf(wasForced ? undefined : view.done, result);
      } catch (e) {
        const err = toWizardError(e);
        r = { ok: false, message: redact(err.message), hint: err.hint && redact(err.hint) };
        if (!view.done) view.emit({ event: 'done', ok: false, message: r.message, hint: r.hint });
      }
      onInterrupt = () => opts.abort.abort();
      popKeys();
      if (signal.aborted) return { kind: 'paused', command, message: r.message, hint: r.hint, forced: wasForced, summary: view.summary() };
      const next = await prompter.choose({
        message: r.ok ? `Done: ${r.message}` : `Stopped: ${r.message}${r.hint ? `\nWhat to do: ${r.hint}` : ''}`,
        options: [
          ...(r.ok ? [] : [{ value: 'retry' as const, label: RECOVERY_LABELS.retry }]),
          ...(!r.ok && !parent && command !== 'doctor' && opts.commands.doctor ? [{ value: 'diagnose' as const, label: RECOVERY_LABELS.diagnose }] : []),
          ...(parent ? [{ value: 'parent' as const, label: `Back to ${itemLabel(parent.command)}: run it again` }] : []),
          ...(fromMenu ? [{ value: 'menu' as const, label: 'Back to the menu' }] : []),
          { value: 'quit' as const, label: 'Quit' },
        ],
      }, true).catch(() => 'quit' as const);
      const summary = view.summary();
      view.destroy();
      if (next === 'retry') continue;
      if (next === 'parent') return { kind: 'parent' };
      if (next === 'diagnose') {
        const o = await runCommand('doctor', fromMenu, { command, error: failureText(r) });
        if (o.kind === 'parent') continue;
        return o;
      }
      if (next === 'menu') return { kind: 'menu' };
      return { kind: 'finished', ok: r.ok, message: r.message, hint: r.hint, summary: summary };
    }
  }

  /** From the menu, a command with actions (sandbox up|down|status) asks which one; undefined: back to the menu. */
  async function subcommand(command: MenuCommand, prompter: ReturnType<typeof fullscreenPrompter>): Promise<string[] | undefined> {
    const options = SUBCOMMANDS[command];
    if (!options) return [];
    const choice = await prompter.select({ message: `${itemLabel(command)}: what do you want to do?`, options: [...options, { value: 'back', label: 'Back to the menu' }] }).catch(() => 'back');
    return choice === 'back' ? undefined : [choice];
  }

  function report(o: Outcome): number {
    if ((o.kind === 'paused' || o.kind === 'finished') && o.summary?.length) streams.output.write(`${o.summary.join('\n')}\n`);
    if (o.kind === 'paused') {
      const typed = args.command === 'menu' ? [o.command, ...opts.argv] : opts.argv;
      const safe = o.forced
        ? 'The step that was running may not have finished; every step checks what is already done when it runs again.'
        : 'Nothing was left half-done: every change is applied whole and verified before the next step.';
      errOut.write(`synapse-pg: ${o.forced ? 'stopped' : 'paused safely'}. ${o.message}\n${o.hint ? `What to do: ${o.hint}\n` : ''}${safe}\nTo resume, run: ${formatArgv(['synapse-pg', ...typed])}${args.command === 'menu' ? ' (or synapse-pg for the menu)' : ''}\n`);
      return exitCodeOf(false, true);
    }
    if (o.kind === 'menu' || o.kind === 'parent') return exitCodeOf(true);
    if (o.ok) streams.output.write(`synapse-pg: ${o.message}\n`);
    else errOut.write(`synapse-pg: ${o.message}\n${o.hint ? `${MESSAGES.whatToDo(o.hint)}\n` : ''}`);
    return exitCodeOf(o.ok);
  }
}
