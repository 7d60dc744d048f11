// Render tests of the full-screen app: blessed on a fake terminal (@xterm/headless), asserting what is on screen after events and keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCommandLine } from '../src/cli/args.js';
import type { RunnerEvent } from '../src/core/events.js';
import type { Detection } from '../src/status/detect.js';
import { runApp, type CommandRunner } from '../screens/fullscreen/app.js';
import { fullscreenPrompter } from '../screens/fullscreen/dialogs.js';
import { FlowView } from '../screens/fullscreen/flow-view.js';
import { KeyRouter } from '../screens/fullscreen/keys.js';
import { MenuView } from '../screens/fullscreen/menu-view.js';
import { closeScreen } from '../screens/fullscreen/terminal.js';
import { makeTheme } from '../screens/fullscreen/theme.js';
import { fakeTerminal, KEYS, settle, type FakeTerminal } from './fullscreen-harness.js';

/** The screen text without box borders and with whitespace collapsed, for sentences that wrap. */
function flat(text: string): string {
  return text.replace(/[│┌┐└┘─]/g, ' ').replace(/\s+/g, ' ');
}

const GREEN = 2;
const RED = 1;

const STEPS = [
  { id: 'find-config', title: 'Find the Synapse config' },
  { id: 'create-role', title: 'Create the database role' },
  { id: 'pg-hba', title: 'Allow Synapse in pg_hba.conf' },
  { id: 'database-config', title: 'Write the database: section' },
];
const DIFF = '--- homeserver.yaml\n+++ homeserver.yaml\n@@ -1,3 +1,3 @@\n database:\n-  name: sqlite3\n+  name: psycopg2\n';

function withScreen(t: FakeTerminal, env: NodeJS.ProcessEnv = { TERM: 'xterm-256color' }) {
  const screen = t.openScreen(env);
  const abort = new AbortController();
  const router = new KeyRouter(screen, () => abort.abort());
  const theme = makeTheme(env);
  const host = { screen, router, theme, signal: abort.signal, pause: () => abort.abort() };
  return { screen, abort, router, theme, host };
}

test('the flow screen shows each step with its status, the plan with a coloured diff, the log and the keys', async () => {
  const t = fakeTerminal(100, 30);
  const { screen, theme } = withScreen(t);
  try {
    const view = new FlowView(screen, theme);
    view.isAsking = () => true; // a confirm is on screen: the step stays "needs action" until it is answered
    const events: RunnerEvent[] = [
      { event: 'flow', id: 'setup', title: 'First-time setup', steps: STEPS, dryRun: false },
      { event: 'step-start', id: 'find-config', title: STEPS[0]!.title, why: 'Find the file Synapse reads.' },
      { event: 'check', id: 'find-config', status: 'skip', message: 'No config found.' },
      { event: 'step', id: 'find-config', status: 'skipped', message: 'No config found.' },
      { event: 'step-start', id: 'create-role', title: STEPS[1]!.title, why: 'Synapse logs in as its own role.' },
      { event: 'step', id: 'create-role', status: 'applied', message: 'Created role synapse_user.' },
      { event: 'step-start', id: 'pg-hba', title: STEPS[2]!.title, why: 'PostgreSQL must let Synapse log in.' },
      { event: 'check', id: 'pg-hba', status: 'needed', message: 'A scram-sha-256 line is missing.' },
      { event: 'plan', id: 'pg-hba', actions: [{ kind: 'file', path: 'homeserver.yaml', diff: DIFF }, { kind: 'sql', sql: 'SELECT pg_reload_conf()' }] },
      { event: 'log', id: 'pg-hba', level: 'warn', message: 'pg_hba.conf is owned by postgres' },
    ];
    for (const e of events) view.emit(e);
    const text = await t.screenText();
    assert.match(text, /First-time setup/);
    assert.match(text, /- skipped\s+Find the Synapse config/);
    assert.match(text, /\+ verified\s+Create the database ro/);
    assert.match(text, /! needs action\s+Allow Synapse in pg_hb/);
    assert.match(text, /pending\s+Write the database/);
    assert.match(text, /Why: PostgreSQL must let Synapse log in\./);
    assert.match(text, /What it will do:/);
    assert.match(text, /SQL: SELECT pg_reload_conf\(\)/);
    assert.match(text, /pg_hba.conf is owned by postgres/);
    assert.match(text, /q\/Ctrl-C: pause safely/);
    assert.equal(await t.colourOf('+  name: psycopg2'), GREEN);
    assert.equal(await t.colourOf('-  name: sqlite3'), RED);

    view.emit({ event: 'step', id: 'pg-hba', status: 'failed', message: 'Reload refused.', hint: 'Check the server log.', code: 'HBA_RELOAD' });
    const failed = await t.screenText();
    assert.match(failed, /x failed\s+Allow Synapse in pg_hb/);
    assert.match(failed, /What to do: Check the server log\./);
    view.destroy();
  } finally {
    closeScreen(screen);
    t.dispose();
  }
});

test('progress events draw a bar per active label with the elapsed time; a finished step removes them', async () => {
  const t = fakeTerminal(100, 30);
  const { screen, theme } = withScreen(t);
  try {
    const view = new FlowView(screen, theme);
    view.emit({ event: 'flow', id: 'cutover', title: 'Cutover', steps: [{ id: 'port', title: 'Port the data' }], dryRun: false });
    view.emit({ event: 'step-start', id: 'port', title: 'Port the data', why: 'Copy every table.' });
    view.emit({ event: 'progress', id: 'port', label: 'events', done: 50, total: 200, detail: '1200 rows/s' });
    view.emit({ event: 'progress', id: 'port', label: 'state_groups', done: 3, total: 4 });
    let text = await t.screenText();
    assert.match(text, /events\s+\[#+\.+\]\s+25% 50\/200 0:00 1200 rows\/s/);
    assert.match(text, /Progress/);
    assert.match(text, /state_groups\s+\[#+\.*\]\s+75% 3\/4/);
    assert.match(text, /all 2\s+\[#+\.+\]\s+25% 53\/204/, 'an overall bar over every label of the step');
    view.emit({ event: 'progress', id: 'port', label: 'state_groups', done: 4, total: 4 });
    text = await t.screenText();
    assert.doesNotMatch(text, /state_groups/, 'a finished label leaves the bars');
    assert.match(text, /all 2\s+\[#+\.+\]\s+26% 54\/204/);
    assert.match(text, /elapsed 0:0\d/);
    view.emit({ event: 'step', id: 'port', status: 'applied', message: 'Ported.' });
    assert.doesNotMatch(await t.screenText(), /Progress/);
    view.destroy();
  } finally {
    closeScreen(screen);
    t.dispose();
  }
});

test('a confirm dialog shows exactly what will change, in colour, and answers with y or n', async () => {
  const t = fakeTerminal(100, 30);
  const { screen, host } = withScreen(t);
  try {
    const p = fullscreenPrompter(host);
    const answer = p.confirm({ message: 'Write this database: section to homeserver.yaml?', details: DIFF });
    const text = await t.screenText();
    assert.match(text, /Confirm/);
    assert.match(text, /Write this database: section to homeserver\.yaml\?/);
    assert.match(text, /This will change exactly:/);
    assert.match(text, /Yes, do it \(y\)\s+No, stop here \(n\)/);
    assert.equal(await t.colourOf('+  name: psycopg2'), GREEN);
    assert.equal(await t.colourOf('-  name: sqlite3'), RED);
    assert.equal(p.asking, true);
    await t.press('y');
    assert.equal(await answer, true);
    assert.equal(p.asking, false);
    assert.doesNotMatch(await t.screenText(), /This will change exactly/);
    const second = p.confirm({ message: 'Edit pg_hba.conf?' });
    await t.press('n');
    assert.equal(await second, false);
  } finally {
    closeScreen(screen);
    t.dispose();
  }
});

test('a password is masked and validated as typed with the prompter rule', async () => {
  const t = fakeTerminal(100, 30);
  const { screen, host } = withScreen(t);
  try {
    const p = fullscreenPrompter(host);
    const pw = p.password({ message: 'Password for the new role synapse_user', validate: (v) => (v.length < 12 ? 'Use at least 12 characters.' : undefined) });
    await t.press(...'secret'.split(''));
    let text = await t.screenText();
    assert.match(text, /> \*{6}/);
    assert.doesNotMatch(text, /secret/);
    assert.match(text, /Use at least 12 characters\./);
    await t.press(KEYS.enter);
    assert.match(await t.screenText(), /Use at least 12 characters\./, 'Enter does not accept an invalid value');
    await t.press(...'-and-more'.split(''));
    text = await t.screenText();
    assert.match(text, /> \*{15}/);
    assert.doesNotMatch(text, /Use at least/);
    await t.press(KEYS.enter);
    assert.equal(await pw, 'secret-and-more');

    const name = p.text({ message: 'Database name', initial: 'synapse', validate: (v) => (/^[a-z_]+$/.test(v) ? undefined : 'Letters and _ only.') });
    await t.press(KEYS.backspace, '-');
    assert.match(await t.screenText(), /> synaps-[\s\S]*Letters and _ only\./);
    await t.press(KEYS.ctrlU, ...'matrix'.split(''), KEYS.enter);
    assert.equal(await name, 'matrix');
  } finally {
    closeScreen(screen);
    t.dispose();
  }
});

const DETECTED: Detection = {
  config: { paths: ['/etc/matrix-synapse/homeserver.yaml'], databaseFile: '/etc/matrix-synapse/homeserver.yaml', warnings: [] },
  database: { engine: 'sqlite', path: '/var/lib/matrix-synapse/homeserver.db' },
  synapse: { running: true, evidence: 'pid 42 from /run/matrix-synapse.pid is alive' },
  postgres: { reachable: true, where: 'localhost:5432', evidence: 'accepting connections' },
  cutover: { phase: 'downtime', journal: '/etc/matrix-synapse/.synapse-pg/cutover.json' },
};

test('the menu lists the six tasks, shows what it detected, and puts the sensible choice first', async () => {
  const t = fakeTerminal(100, 30);
  const { screen, theme, router, abort } = withScreen(t);
  try {
    const menu = new MenuView(screen, theme, '0.1.0');
    let text = await t.screenText();
    for (const item of ['First-time setup', 'Cutover from SQLite', 'Troubleshooting', 'Maintenance', 'Status', 'Sandbox']) assert.match(text, new RegExp(item));
    menu.setDetection(DETECTED);
    text = await t.screenText();
    assert.match(text, /1\. Cutover from SQLite\s+\(suggested\)/);
    assert.match(text, /2\. First-time setup/);
    assert.match(text, /SQLite \/var\/lib\/matrix-synapse\/homeserver\.db/);
    assert.match(text, /Synapse\s+running \(pid 42/);
    assert.match(text, /PostgreSQL reachable at localhost:5432/);
    assert.match(text, /unfinished, phase downtime/);
    const choice = menu.choose(router, abort.signal);
    await t.press(KEYS.down, KEYS.down, KEYS.enter);
    assert.equal(await choice, 'doctor');
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
    await t.press('4', KEYS.enter);
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
    assert.match(flat(text), /Stopped: Find the Synapse config: Cannot read it\./);
    assert.match(flat(text), /What to do: Run as root\./);
    assert.match(text, /1\. Retry/);
    await t.press(KEYS.enter);
    text = await t.screenText();
    assert.equal(runs, 2);
    assert.match(text, /checking\s+Find the Synapse config/);
    await t.press(KEYS.ctrlC);
    assert.match(flat(await t.screenText()), /Pausing: the current step finishes its atomic action first/);
    stepDone();
    assert.equal(await app.code, 130);
    assert.match(app.stderr(), /paused safely/);
    assert.match(app.stderr(), /To resume, run: synapse-pg setup/);
    assert.ok(t.written().endsWith('') && t.written().lastIndexOf('\x1b[?1049l') > t.written().lastIndexOf('\x1b[?1049h'));
  } finally {
    t.dispose();
  }
});

test('NO_COLOR: a diff is shown without colours (signs only)', async () => {
  const t = fakeTerminal(100, 30);
  const { screen, theme } = withScreen(t, { TERM: 'xterm-256color', NO_COLOR: '1' });
  try {
    const view = new FlowView(screen, theme);
    view.emit({ event: 'flow', id: 's', title: 'Setup', steps: STEPS, dryRun: true });
    view.emit({ event: 'step-start', id: 'database-config', title: STEPS[3]!.title, why: 'Why.' });
    view.emit({ event: 'plan', id: 'database-config', actions: [{ kind: 'file', path: 'homeserver.yaml', diff: DIFF }] });
    assert.equal(await t.colourOf('+  name: psycopg2'), 'default');
    assert.equal(await t.colourOf('-  name: sqlite3'), 'default');
    assert.match(await t.screenText(), /dry run: nothing will be changed/);
    view.destroy();
  } finally {
    closeScreen(screen);
    t.dispose();
  }
});

test('terminfo that blessed 0.1.81 cannot read falls back quietly: nothing on stderr, no warning box', async () => {
  for (const TERM of ['xterm-256color', 'screen-256color', 'tmux-256color', 'no-such-terminal']) {
    const t = fakeTerminal(100, 30);
    const printed: string[] = [];
    const saved = console.error;
    const savedWrite = process.stderr.write.bind(process.stderr);
    console.error = (...a: unknown[]) => void printed.push(a.join(' '));
    process.stderr.write = ((s: string) => (printed.push(String(s)), true)) as typeof process.stderr.write;
    try {
      const screen = t.openScreen({ TERM });
      await settle(50);
      screen.render();
      const text = await t.screenText();
      closeScreen(screen);
      assert.deepEqual(printed, [], `${TERM}: nothing printed`);
      assert.doesNotMatch(text, /WARNING|Error on/, `${TERM}: no warning box`);
    } finally {
      console.error = saved;
      process.stderr.write = savedWrite;
      t.dispose();
    }
  }
});

test('resizing redraws the flow screen at the new size', async () => {
  const t = fakeTerminal(100, 30);
  const { screen, theme } = withScreen(t);
  try {
    const view = new FlowView(screen, theme);
    view.emit({ event: 'flow', id: 's', title: 'Setup', steps: STEPS, dryRun: false });
    await t.screenText();
    await t.resize(120, 40);
    const text = await t.screenText();
    const lines = text.split('\n');
    assert.match(lines[lines.length - 1]!, /q\/Ctrl-C: pause safely/);
    assert.equal(lines[1]!.trimEnd().length, 120, 'the borders reach the new width');
    await t.resize(70, 20);
    assert.match(await t.screenText(), /window 70x20 is below 80x24/);
    view.destroy();
  } finally {
    closeScreen(screen);
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
    await t.press('5', KEYS.enter);
    let text = await t.screenText();
    assert.match(text, /^│Synapse: not running \(no pid file\)/m, 'the report starts at the left edge: no empty step list');
    assert.match(flat(text), /Done: No cutover recorded\./);
    await t.press(KEYS.enter); // back to the menu
    await t.press('6', KEYS.enter);
    text = await t.screenText();
    assert.match(text, /Sandbox: what do you want to do\?/);
    assert.match(text, /Show the practice homeserver/);
    await t.press('2', KEYS.enter);
    assert.match(flat(await t.screenText()), /Done: sandbox up done/);
    assert.deepEqual(seen, [['up']]);
    await t.press('2', KEYS.enter); // quit
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
    await t.press(KEYS.enter); // First-time setup (suggested or first)
    let text = flat(await t.screenText());
    assert.match(text, /1\. Retry .* 2\. Diagnose this failure \(troubleshooting checks\)/);
    await t.press('2', KEYS.enter);
    text = flat(await t.screenText());
    assert.deepEqual(errors, ['Create the database role: password authentication failed for user "synapse_user"']);
    assert.match(text, /Cause: The password in homeserver\.yaml is not the role password\./);
    assert.match(text, /Evidence: FATAL: password authentication failed/);
    assert.match(text, /Fix: Run synapse-pg setup --set-password\./);
    assert.match(text, /Back to First-time setup: run it again/);
    await t.press('2', KEYS.enter); // 1 is Retry (the doctor), 2 is back to setup
    text = flat(await t.screenText());
    assert.equal(setupRuns, 2);
    assert.match(text, /Done: All steps verified\./);
    await t.press('2', KEYS.enter); // quit
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

test('the live log follows its end until the admin scrolls up; Up/Down show another step, f follows again', async () => {
  const t = fakeTerminal(100, 30);
  const { screen, theme, router } = withScreen(t);
  try {
    const view = new FlowView(screen, theme);
    router.push((ch, key) => view.handleKey(ch, key));
    view.emit({ event: 'flow', id: 's', title: 'Setup', steps: STEPS, dryRun: false });
    view.emit({ event: 'step-start', id: 'find-config', title: STEPS[0]!.title, why: 'First why.' });
    view.emit({ event: 'step', id: 'find-config', status: 'done', message: 'Found it.' });
    view.emit({ event: 'step-start', id: 'create-role', title: STEPS[1]!.title, why: 'Second why.' });
    for (let i = 1; i <= 60; i++) view.emit({ event: 'log', id: 'create-role', level: 'info', message: `log line ${i}` });
    let text = await t.screenText();
    assert.match(text, /log line 60/);
    assert.doesNotMatch(text, /log line 10\b/);
    await t.press(KEYS.pageUp, KEYS.pageUp);
    text = await t.screenText();
    assert.doesNotMatch(text, /log line 60/);
    view.emit({ event: 'log', id: 'create-role', level: 'info', message: 'log line 61' });
    assert.doesNotMatch(await t.screenText(), /log line 61/, 'a new line does not yank the view down');
    await t.press('f');
    assert.match(await t.screenText(), /log line 61/);
    await t.press(KEYS.up);
    text = await t.screenText();
    assert.match(text, /Why: First why\./);
    assert.match(text, /Find the Synapse config ─/, 'the pane is titled with the viewed step');
    view.emit({ event: 'log', id: 'create-role', level: 'info', message: 'log line 62' });
    assert.match(await t.screenText(), /Why: First why\./, 'the viewed step stays while the flow goes on');
    await t.press('f');
    assert.match(await t.screenText(), /log line 62/);
    view.destroy();
  } finally {
    closeScreen(screen);
    t.dispose();
  }
});

test('a maintenance report shows its figures and a bar chart with coloured bars', async () => {
  const t = fakeTerminal(100, 30);
  const { screen, theme } = withScreen(t);
  try {
    const view = new FlowView(screen, theme);
    view.emit({ event: 'flow', id: 'maintain', title: 'Maintenance: report', steps: [{ id: 'report', title: 'Size report' }], dryRun: false });
    view.emit({ event: 'step-start', id: 'report', title: 'Size report', why: 'Where the space goes.' });
    view.emit({
      event: 'report', id: 'report', title: 'Largest tables', unit: 'count',
      bars: [{ label: 'events', value: 200 }, { label: 'state_groups', value: 50 }],
      figures: [{ label: 'Database size', value: '12 MB' }, { label: 'Tables', value: 93, unit: 'count' }],
    });
    const text = await t.screenText();
    assert.match(text, /Largest tables/);
    assert.match(text, /Database size\s+12 MB/);
    assert.match(text, /Tables\s+93/);
    assert.match(text, /events\s+#{30} 200/);
    assert.match(text, /state_groups\s+#{8}\.{22} 50/);
    assert.equal(await t.colourOf('#####'), 6, 'the bars are cyan');
    view.destroy();
  } finally {
    closeScreen(screen);
    t.dispose();
  }
});
