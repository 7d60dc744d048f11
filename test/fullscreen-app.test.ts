// Render tests of the app around the flows: the menu, commands not implemented, retry, Diagnose, pause and stop, on a fake terminal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCommandLine } from '../src/cli/args.js';
import type { Detection } from '../src/status/detect.js';
import { runApp, wantsFullscreen, type CommandRunner } from '../screens/fullscreen/app.js';
import { MenuView } from '../screens/fullscreen/menu-view.js';
import { closeScreen } from '../screens/fullscreen/terminal.js';
import { fakeTerminal, flat, KEYS, settle, STEPS, withScreen, type FakeTerminal } from './fullscreen-harness.js';

const DETECTED: Detection = {
  config: { paths: ['/etc/matrix-synapse/homeserver.yaml'], databaseFile: '/etc/matrix-synapse/homeserver.yaml', warnings: [] },
  database: { engine: 'sqlite', path: '/var/lib/matrix-synapse/homeserver.db' },
  synapse: { running: true, evidence: 'pid 42 from /run/matrix-synapse.pid is alive' },
  postgres: { reachable: true, where: 'localhost:5432', evidence: 'accepting connections' },
  cutover: { phase: 'downtime', journal: '/etc/matrix-synapse/.synapse-pg/cutover.json' },
};

test('the menu lists the six tasks in a fixed order with their letters, shows what it detected, and starts on the sensible choice', async () => {
  const t = fakeTerminal(100, 30);
  const { screen, theme, router, abort } = withScreen(t);
  try {
    const menu = new MenuView(screen, theme, '0.1.0');
    let text = await t.screenText();
    for (const item of ['First-time setup', 'Cutover from SQLite', 'Troubleshooting', 'Maintenance', 'Status', 'Sandbox']) assert.match(text, new RegExp(item));
    menu.setDetection(DETECTED);
    text = await t.screenText();
    assert.match(text, /\[s\] First-time setup *│[^\n]*\n│ \[c\] Cutover from SQLite\s+\(suggested\)/);
    assert.match(text, /\[d\] Troubleshooting/);
    assert.match(text, /SQLite \/var\/lib\/matrix-synapse\/homeserver\.db/);
    assert.match(text, /Synapse\s+running \(pid 42/);
    assert.match(text, /PostgreSQL reachable at localhost:5432/);
    assert.match(text, /unfinished, phase downtime/);
    const choice = menu.choose(router, abort.signal);
    await t.press(KEYS.down, KEYS.enter); // the cursor starts on the suggested item
    assert.equal(await choice, 'doctor');
    const byLetter = menu.choose(router, abort.signal);
    await t.press('m');
    assert.equal(await byLetter, 'maintain', 'a letter starts its task at once');
    menu.destroy();
  } finally {
    closeScreen(screen);
    t.dispose();
  }
});

function appArgs(argv: string[]) {
  return parseCommandLine(argv);
}

async function startApp(t: FakeTerminal, argv: string[], commands: Record<string, CommandRunner>, env: NodeJS.ProcessEnv = { TERM: 'xterm-256color', HOME: mkdtempSync(join(tmpdir(), 'spgw-fs-')) }) {
  const abort = new AbortController();
  let stderr = '';
  const error = { write: (s: string) => ((stderr += s), true) } as unknown as NodeJS.WritableStream;
  const code = runApp(appArgs(argv), { abort, argv, version: '0.1.0', commands, plainUi: () => assert.fail('no plain mode here'), streams: { input: t.input, output: t.output, error }, env });
  return { code, abort, stderr: () => stderr };
}

test('a menu item whose command is not implemented says so plainly, and q quits cleanly', async () => {
  const t = fakeTerminal(100, 30);
  try {
    const app = await startApp(t, [], {});
    await t.screenText();
    await t.press('m');
    const text = await t.screenText();
    assert.match(flat(text), /"maintain" is not available in this version yet: nothing was run and nothing was changed\./);
    await t.press(KEYS.enter);
    assert.match(await t.screenText(), /What do you want to do\?/);
    await t.press('q');
    assert.equal(await app.code, 0);
    const out = t.written();
    assert.ok(out.lastIndexOf('\x1b[?1049l') > out.lastIndexOf('\x1b[?1049h'), 'back on the normal screen buffer');
    assert.ok(out.lastIndexOf('\x1b[?25h') > out.lastIndexOf('\x1b[?25l'), 'cursor visible');
  } finally {
    t.dispose();
  }
});

test('a failed flow offers retry (the flow runs again) and quit; Ctrl-C pauses, waits for the step, and says how to resume', async () => {
  const t = fakeTerminal(100, 30);
  try {
    let runs = 0;
    let stepDone!: () => void;
    const setup: CommandRunner = async (_args, ui) => {
      runs++;
      ui.emit({ event: 'flow', id: 'setup', title: 'First-time setup', steps: STEPS.slice(0, 1), dryRun: false });
      ui.emit({ event: 'step-start', id: 'find-config', title: STEPS[0]!.title, why: 'Find it.' });
      if (runs === 1) {
        ui.emit({ event: 'step', id: 'find-config', status: 'failed', message: 'Cannot read it.', hint: 'Run as root.', code: 'CONFIG_UNREADABLE' });
        ui.emit({ event: 'done', ok: false, message: 'Find the Synapse config: Cannot read it.', hint: 'Run as root.' });
        return { ok: false, message: 'Find the Synapse config: Cannot read it.', hint: 'Run as root.' };
      }
      await new Promise<void>((r) => (stepDone = r));
      assert.equal(ui.signal.aborted, true, 'the flow sees the pause through its AbortSignal');
      ui.emit({ event: 'done', ok: false, message: 'Stopped at your request during: Find the Synapse config.' });
      return { ok: false, message: 'Stopped at your request during: Find the Synapse config.' };
    };
    const app = await startApp(t, ['setup'], { setup });
    let text = await t.screenText();
    assert.match(flat(text), /x failed Cannot read it\. What to do: Run as root\./);
    assert.match(flat(text), /Stopped at "Find the Synapse config": its error and what to do are in the step above\./);
    assert.equal(flat(text).match(/Cannot read it/g)?.length, 1, 'the error is shown once');
    assert.match(text, /r: run again/);
    await t.press('r');
    text = await t.screenText();
    assert.equal(runs, 2);
    assert.match(text, /checking\s+Find the Synapse config/);
    await t.press(KEYS.ctrlC);
    assert.match(flat(await t.screenText()), /Pausing: the current step finishes its atomic action first/);
    stepDone();
    assert.equal(await app.code, 130);
    assert.match(app.stderr(), /paused safely/);
    assert.match(app.stderr(), /To resume, run: synapse-pg setup/);
    // the terminal is left as it was: the alternate screen entered, then left, and the cursor shown again after it was hidden
    const w = t.written();
    const entered = w.lastIndexOf('\x1b[?1049h');
    assert.ok(entered >= 0, 'the app used the alternate screen');
    const tail = w.slice(entered);
    assert.ok(tail.includes('\x1b[?1049l'), 'and left it');
    assert.ok(tail.lastIndexOf('\x1b[?25h') > tail.lastIndexOf('\x1b[?25l'), 'the cursor is shown again');
  } finally {
    t.dispose();
  }
});

test('commands without steps (status) show their report full width; sandbox asks for its action from the menu', async () => {
  const t = fakeTerminal(100, 30);
  try {
    const seen: string[][] = [];
    const status: CommandRunner = async (_a, ui) => {
      ui.emit({ event: 'log', id: 'status', level: 'info', message: 'Synapse: not running (no pid file)' });
      ui.emit({ event: 'done', ok: true, message: 'No cutover recorded.' });
      return { event: 'status' };
    };
    const sandbox: CommandRunner = async (a, ui) => {
      seen.push(a.positionals);
      ui.emit({ event: 'done', ok: true, message: `sandbox ${a.positionals[0]} done` });
      return { ok: true, message: 'ignored: the done event wins' };
    };
    const app = await startApp(t, [], { status, sandbox });
    await t.screenText();
    await t.press('t');
    let text = await t.screenText();
    assert.match(text, /^│Synapse: not running \(no pid file\)/m, 'the report starts at the left edge: no empty step list');
    assert.match(flat(text), /Done: No cutover recorded\./);
    await t.press('\x1b'); // Esc: back to the menu
    await settle(60);
    await t.press('p');
    text = await t.screenText();
    assert.match(text, /Sandbox: what do you want to do\?/);
    assert.match(text, /Show the practice homeserver/);
    await t.press('2', KEYS.enter);
    assert.match(flat(await t.screenText()), /Done: sandbox up done/);
    assert.deepEqual(seen, [['up']]);
    await t.press('q'); // a flow started from the menu goes back to it
    assert.match(await t.screenText(), /What do you want to do\?/);
    await t.press('q'); // and the menu quits
    assert.equal(await app.code, 0);
  } finally {
    t.dispose();
  }
});

test('after a failure, Diagnose runs the doctor on the error and shows cause, evidence and fix; then the failed flow can run again', async () => {
  const t = fakeTerminal(100, 30);
  try {
    let setupRuns = 0;
    const errors: (string | undefined)[] = [];
    const setup: CommandRunner = async (_a, ui) => {
      setupRuns++;
      ui.emit({ event: 'flow', id: 'setup', title: 'First-time setup', steps: STEPS.slice(1, 2), dryRun: false });
      const ok = setupRuns > 1;
      ui.emit({ event: 'done', ok, message: ok ? 'All steps verified.' : 'Create the database role: password authentication failed for user "synapse_user"' });
      return {};
    };
    const doctor: CommandRunner = async (a, ui) => {
      errors.push(a.flags.error);
      ui.emit({ event: 'flow', id: 'doctor', title: 'Doctor', steps: [{ id: 'login', title: 'Synapse cannot log in' }], dryRun: false });
      ui.emit({ event: 'step-start', id: 'login', title: 'Synapse cannot log in', why: 'The role password does not match.' });
      ui.emit({ event: 'step', id: 'login', status: 'failed', message: 'Fix it by hand.' });
      ui.emit({ event: 'finding', id: 'login', title: 'Synapse cannot log in', evidence: 'FATAL: password authentication failed', cause: 'The password in homeserver.yaml is not the role password.', fix: 'Run synapse-pg setup --set-password.', needsSynapseStopped: false, fixed: false });
      ui.emit({ event: 'done', ok: false, message: '1 of 1 finding(s) left unfixed: login.' });
      return {};
    };
    const app = await startApp(t, [], { setup, doctor });
    await t.screenText();
    await t.press('s'); // First-time setup
    let text = flat(await t.screenText());
    assert.match(text, /r: run again d: diagnose this failure/);
    await t.press('d');
    text = flat(await t.screenText());
    assert.deepEqual(errors, ['Create the database role: password authentication failed for user "synapse_user"']);
    assert.match(text, /Cause: The password in homeserver\.yaml is not the role password\./);
    assert.match(text, /Evidence: FATAL: password authentication failed/);
    assert.match(text, /Fix: Run synapse-pg setup --set-password\./);
    assert.match(text, /b: back to First-time setup/);
    await t.press('b');
    text = flat(await t.screenText());
    assert.equal(setupRuns, 2);
    assert.match(text, /Done: All steps verified\./);
    await t.press('q', 'q'); // back to the menu, then quit
    assert.equal(await app.code, 0);
  } finally {
    t.dispose();
  }
});

test('a second Ctrl-C stops without waiting for a stuck step, and says so', async () => {
  const t = fakeTerminal(100, 30);
  try {
    const stuck: CommandRunner = async (_a, ui) => {
      ui.emit({ event: 'flow', id: 'setup', title: 'First-time setup', steps: STEPS.slice(0, 1), dryRun: false });
      ui.emit({ event: 'step-start', id: 'find-config', title: STEPS[0]!.title, why: 'Find it.' });
      return new Promise(() => {});
    };
    const app = await startApp(t, ['setup'], { setup: stuck });
    await t.screenText();
    await t.press(KEYS.ctrlC);
    assert.match(flat(await t.screenText()), /Ctrl-C again: stop now/);
    await t.press(KEYS.ctrlC);
    assert.equal(await app.code, 130);
    assert.match(app.stderr(), /^synapse-pg: stopped\. Stopped without waiting for the current step to finish\./);
    assert.match(app.stderr(), /may not have finished/);
    assert.match(app.stderr(), /To resume, run: synapse-pg setup/);
  } finally {
    t.dispose();
  }
});

test('the full screen is for the menu and for commands that ask; reports and --plain/--json/--yes stay line by line', () => {
  const tty = { input: { isTTY: true }, output: { isTTY: true, columns: 120, rows: 40 } } as unknown as Parameters<typeof wantsFullscreen>[1];
  const pipe = { input: { isTTY: false }, output: { isTTY: false } } as unknown as Parameters<typeof wantsFullscreen>[1];
  const wants = (argv: string[], s = tty) => wantsFullscreen(parseCommandLine(argv), s);
  assert.equal(wants([]), true);
  assert.equal(wants([], pipe), true, 'the menu itself explains why it cannot run without a terminal');
  assert.equal(wants(['setup']), true);
  assert.equal(wants(['cutover', '--sandbox']), true);
  assert.equal(wants(['maintain']), true);
  assert.equal(wants(['setup'], pipe), false);
  for (const flag of ['--plain', '--json', '--yes']) assert.equal(wants(['setup', flag]), false, flag);
  assert.equal(wants(['status']), false);
  assert.equal(wants(['sandbox']), false);
  assert.equal(wants(['sandbox', 'up']), true);
  assert.equal(wants(['maintain', 'report']), false);
});

test('q in a flow started from the menu pauses it safely and stays in the app: the flow can be read, continued with r, or left for the menu', async () => {
  const t = fakeTerminal(100, 30);
  try {
    let runs = 0;
    const setup: CommandRunner = async (_a, ui) => {
      runs++;
      ui.emit({ event: 'flow', id: 'setup', title: 'First-time setup', steps: STEPS.slice(0, 1), dryRun: false });
      ui.emit({ event: 'step-start', id: 'find-config', title: STEPS[0]!.title, why: 'Find it.' });
      if (runs === 1) await new Promise((r) => ui.signal.addEventListener('abort', r));
      const ok = runs > 1;
      ui.emit({ event: 'step', id: 'find-config', status: ok ? 'done' : 'failed', message: ok ? 'Found.' : 'Stopped at your request.', code: ok ? undefined : 'CANCELLED' });
      ui.emit({ event: 'done', ok, message: ok ? 'All steps verified.' : 'Stopped at your request during: Find the Synapse config.', hint: ok ? undefined : 'Run the same command again to continue.' });
      return {};
    };
    const app = await startApp(t, [], { setup });
    await t.screenText();
    await t.press('s');
    await t.press('q');
    let text = flat(await t.screenText());
    assert.match(text, /Paused: Stopped at your request during: Find the Synapse config\./);
    assert.match(text, /r: continue/);
    assert.doesNotMatch(text, /d: diagnose/, 'a pause is no failure to diagnose');
    await t.press('r');
    text = flat(await t.screenText());
    assert.equal(runs, 2);
    assert.match(text, /Done: All steps verified\./);
    await t.press('\x1b');
    await settle(60);
    assert.match(await t.screenText(), /What do you want to do\?/);
    await t.press('q');
    assert.equal(await app.code, 0, 'the app itself was never interrupted');
    assert.equal(app.stderr(), '');
  } finally {
    t.dispose();
  }
});
