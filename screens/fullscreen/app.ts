// The full-screen app: the main menu, a flow screen per command, retry or quit on failure, and the safe pause on Ctrl-C or q.
import type { ParsedArgs } from '../../src/cli/args.js';
import type { Ui } from '../../src/core/ui.js';
import { formatArgv } from '../../src/core/argv.js';
import { toWizardError } from '../../src/core/errors.js';
import { exitCodeOf } from '../../src/core/exit-code.js';
import { failureText } from '../../src/core/recovery.js';
import { MESSAGES } from '../../src/core/messages.js';
import { redact } from '../../src/core/redact.js';
import { detectOptions } from '../../src/commands/detect-options.js';
import { detect, type Detection, type MenuCommand } from '../../src/status/detect.js';
import { fullscreenPrompter, showKeys, type DialogHost } from './dialogs.js';
import { outcomeOf, runPlainFallback } from './fallback.js';
import { FlowView } from './flow-view.js';
import { KeyRouter } from './keys.js';
import { itemLabel, SUBCOMMANDS } from './menu-model.js';
import { MenuView } from './menu-view.js';
import { closeScreen, fullscreenRefusal, openScreen, type TerminalStreams } from './terminal.js';
export { wantsFullscreen } from './wants.js';
import { makeTheme } from './theme.js';
import { resultLines } from './step-text.js';
import { existsSync } from 'node:fs';

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

const FLOW_KEYS = ['Up/Down, j/k     view another step', 'PgUp/PgDn, Space  scroll the step (its log, plan, report)', 'f                 follow the running step', 'q, Esc            pause safely (from the menu: back to it afterwards)', 'Ctrl-C            pause safely and leave; Ctrl-C again: stop now', '?                 these keys'];
const MENU_HELP = ['Up/Down, j/k     choose a task', 'Enter            start it', 's c d m t p      start that task directly (the letter in [ ])', 'o                enter the path of the Synapse config', '?                these keys', 'q, Esc           quit', '', 'In a flow:', ...FLOW_KEYS];

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
  /** The command line, with a config path entered in the app. */
  let current = args;
  let found: { config: ParsedArgs; detection: Detection } | undefined;
  let outcome: Outcome = { kind: 'menu' };
  /** What each flow run from the menu ended with, printed when the app closes so it stays in the scrollback. */
  const ran: { ok: boolean; message: string; summary: string[] }[] = [];
  try {
    if (args.command === 'menu') {
      while (outcome.kind === 'menu') {
        const menu = new MenuView(screen, theme, opts.version);
        // what was found last time shows at once (a box closing leaves the menu as it was); a fresh look replaces it
        if (found && found.config === current) menu.setDetection(found.detection);
        const looked = current;
        void detectOptions(looked, env).then(detect).then((d) => {
          found = { config: looked, detection: d };
          if (!signal.aborted) menu.setDetection(d);
        }, () => undefined);
        const choice = await menu.choose(router, signal);
        menu.destroy();
        if (choice === 'quit') break;
        if (choice === 'keys') await showKeys(host, MENU_HELP);
        else if (choice === 'config') await askConfig();
        else outcome = await runCommand(choice, true);
      }
    } else {
      outcome = await runCommand(args.command, false);
    }
  } finally {
    closeScreen(screen);
  }
  return report(outcome);

  /** A question the admin may leave with Esc: resolves undefined then. */
  async function escapable<T>(ask: (p: ReturnType<typeof fullscreenPrompter>) => Promise<T>): Promise<T | undefined> {
    const back = new AbortController();
    const saved = { signal: host.signal, pause: host.pause };
    const onAbort = () => back.abort();
    signal.addEventListener('abort', onAbort);
    Object.assign(host, { signal: back.signal, pause: () => back.abort() });
    try {
      return await ask(fullscreenPrompter(host)).catch(() => undefined);
    } finally {
      signal.removeEventListener('abort', onAbort);
      Object.assign(host, saved);
    }
  }

  async function askConfig(): Promise<void> {
    const path = await escapable((p) => p.text({
      message: 'Path of the Synapse config (homeserver.yaml, or a conf.d directory); every task then uses it',
      initial: current.flags.config?.[0] ?? '',
      validate: (v) => (!v.trim() ? 'Type a path.' : existsSync(v.trim()) ? undefined : `${v.trim()}: no such file or directory.`),
    }));
    if (path) current = { ...current, flags: { ...current.flags, config: [path.trim()] }, explicit: new Set([...current.explicit, 'config']) };
  }

  /** Runs one command in a flow screen until the admin leaves it; `parent` is the failed command a diagnosis was started from. */
  async function runCommand(command: MenuCommand, fromMenu: boolean, parent?: { command: MenuCommand; error: string }): Promise<Outcome> {
    const runner = opts.commands[command];
    if (!runner) {
      const back = await escapable((p) => p.select({
        message: `"${command}" is not available in this version yet: nothing was run and nothing was changed.`,
        options: fromMenu ? [{ value: 'menu', label: 'Back to the menu' }, { value: 'quit', label: 'Quit' }] : [{ value: 'quit', label: 'Quit' }],
      }));
      return back === 'quit' || !fromMenu ? { kind: 'finished', ok: false, message: MESSAGES.notAvailable(command), hint: MESSAGES.notAvailableHint } : { kind: 'menu' };
    }
    const positionals = parent ? [] : args.command === 'menu' ? await subcommand(command) : args.positionals;
    const flags = parent ? { ...current.flags, error: parent.error } : current.flags;
    if (!positionals) return { kind: 'menu' };
    for (;;) {
      // q and Esc pause this flow only (the app goes on); Ctrl-C pauses it and leaves the app
      const flow = new AbortController();
      const onGlobal = () => flow.abort();
      signal.addEventListener('abort', onGlobal);
      const view = new FlowView(screen, theme, itemLabel(command));
      const prompter = fullscreenPrompter(host);
      host.reserveBottom = (rows) => view.reserve(rows);
      host.signal = flow.signal;
      const pauseFlow = () => {
        if (!fromMenu) return onInterrupt();
        if (flow.signal.aborted) return;
        flow.abort();
        view.setNotice(theme.fg('yellow', 'Pausing: the current step finishes its atomic action first, then this screen stays open.'));
      };
      host.pause = pauseFlow;
      const popKeys = router.push((ch, key) => (ch === 'q' || key.name === 'escape' ? pauseFlow() : ch === '?' ? void showKeys(host, FLOW_KEYS) : view.handleKey(ch, key)));
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
        const result = await Promise.race([runner({ ...current, command, positionals, flags }, { emit: (e) => view.emit(e), prompter, signal: flow.signal }), forcedStop]);
        r = outcomeOf(wasForced ? undefined : view.done, result);
      } catch (e) {
        const err = toWizardError(e);
        r = { ok: false, message: redact(err.message), hint: err.hint && redact(err.hint) };
        if (!view.done) view.emit({ event: 'done', ok: false, message: r.message, hint: r.hint });
      }
      signal.removeEventListener('abort', onGlobal);
      onInterrupt = () => opts.abort.abort();
      host.signal = signal;
      host.pause = () => onInterrupt();
      popKeys();
      if (signal.aborted) return { kind: 'paused', command, message: r.message, hint: r.hint, forced: wasForced, summary: view.summary() };
      const next = await endOfFlow(view, r, { fromMenu, parent, paused: flow.signal.aborted, canDiagnose: !r.ok && !flow.signal.aborted && (view.failed || !view.anyResult) && !parent && command !== 'doctor' && !!opts.commands.doctor });
      const summary = view.summary();
      view.destroy();
      if (next === 'retry') continue;
      if (next === 'parent') return { kind: 'parent' };
      if (next === 'diagnose') {
        const o = await runCommand('doctor', fromMenu, { command, error: failureText(r) });
        if (o.kind === 'parent') continue;
        return o;
      }
      if (next === 'menu') {
        ran.push({ ok: r.ok, message: r.message, summary });
        return { kind: 'menu' };
      }
      return { kind: 'finished', ok: r.ok, message: r.message, hint: r.hint, summary: summary };
    }
  }

  /** The flow has ended: it stays on screen, browsable, with the result and the keys to go on at the bottom. */
  function endOfFlow(view: FlowView, r: CommandResult, o: { fromMenu: boolean; parent?: { command: MenuCommand }; paused: boolean; canDiagnose: boolean }): Promise<'retry' | 'diagnose' | 'parent' | 'menu' | 'quit'> {
    const lines = resultLines(theme, r, view.failedStep, o.paused);
    const keys = [
      ...(r.ok ? [] : [o.paused ? 'r: continue' : 'r: run again']),
      ...(o.canDiagnose ? ['d: diagnose this failure'] : []),
      ...(o.parent ? [`b: back to ${itemLabel(o.parent.command)}`] : []),
      o.fromMenu ? 'Esc/q: back to the menu' : 'Esc/q: quit',
    ];
    view.showEnd(lines, keys.join('   '));
    return new Promise((resolve) => {
      const pop = router.push((ch, key) => {
        const settle = (v: 'retry' | 'diagnose' | 'parent' | 'menu' | 'quit') => (pop(), resolve(v));
        if (ch === 'r' && !r.ok) return settle('retry');
        if (ch === 'd' && o.canDiagnose) return settle('diagnose');
        if (ch === 'b' && o.parent) return settle('parent');
        if (ch === 'q' || key.name === 'escape' || ch === 'm') return settle(o.fromMenu ? 'menu' : 'quit');
        if (ch === '?') return void showKeys(host, ['r  run the flow again (finished steps are only verified again)', 'd  diagnose the failure (troubleshooting)', ...(o.parent ? ['b  back to the flow the diagnosis started from'] : []), `Esc, q  ${o.fromMenu ? 'back to the menu' : 'quit'}`, ...FLOW_KEYS.slice(0, 2)]);
        view.handleKey(ch, key);
      });
      if (signal.aborted) return (pop(), resolve('quit'));
    });
  }

  /** From the menu, a command with actions (sandbox up|down|status, maintain's tasks) asks which one; undefined: back to the menu. */
  async function subcommand(command: MenuCommand): Promise<string[] | undefined> {
    const options = command === 'maintain' ? (await import('../../src/maintain/flows.js')).TASK_CHOICES : SUBCOMMANDS[command];
    if (!options) return [];
    const choice = await escapable((p) => p.select<string>({ message: `${itemLabel(command)}: what do you want to do?`, options: [...options, { value: 'back', label: 'Back to the menu (Esc)' }] }));
    return choice === undefined || choice === 'back' ? undefined : [choice];
  }

  function report(o: Outcome): number {
    for (const f of ran) streams.output.write(`${f.summary.length ? `${f.summary.join('\n')}\n` : ''}synapse-pg: ${f.ok ? '' : 'stopped: '}${f.message}\n`);
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
    if (o.ok) streams.output.write(`synapse-pg: ${o.message}\n${o.hint ? `Next: ${o.hint}\n` : ''}`);
    else errOut.write(`synapse-pg: ${o.message}\n${o.hint ? `${MESSAGES.whatToDo(o.hint)}\n` : ''}`);
    return exitCodeOf(o.ok);
  }
}
