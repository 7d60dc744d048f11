// Render tests of the flow screen and dialogs: blessed on a fake terminal (@xterm/headless), asserting what is on screen after events and keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunnerEvent } from '../src/core/events.js';
import { fullscreenPrompter } from '../screens/fullscreen/dialogs.js';
import { FlowView } from '../screens/fullscreen/flow-view.js';
import { closeScreen } from '../screens/fullscreen/terminal.js';
import { fakeTerminal, KEYS, settle, STEPS, withScreen } from './fullscreen-harness.js';

const GREEN = 2;
const RED = 1;
const DIFF = '--- homeserver.yaml\n+++ homeserver.yaml\n@@ -1,3 +1,3 @@\n database:\n-  name: sqlite3\n+  name: psycopg2\n';

test('the flow screen shows each step with its status, the plan with a coloured diff, the log and the keys', async () => {
  const t = fakeTerminal(100, 30);
  const { screen, theme } = withScreen(t);
  try {
    const view = new FlowView(screen, theme);
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
    assert.match(text, /q: pause/);
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
    assert.match(lines[lines.length - 1]!, /q: pause/);
    assert.equal(lines[1]!.trimEnd().length, 120, 'the borders reach the new width');
    await t.resize(70, 20);
    assert.match(await t.screenText(), /window 70x20 is below 80x24/);
    view.destroy();
  } finally {
    closeScreen(screen);
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

test('at 80x24 a long confirm says where it is and that more follows; long paths and URLs wrap between words, never inside one', async () => {
  const t = fakeTerminal(80, 24);
  const { screen, host } = withScreen(t);
  try {
    const url = 'postgresql://synapse_user@db.example.org:5432/synapse?sslmode=verify-full';
    const details = Array.from({ length: 30 }, (_, i) => `SQL: step ${i + 1} connects to ${url} and runs LC_CTYPE 'C'`).join('\n');
    const answer = fullscreenPrompter(host).confirm({ message: 'Apply this plan?', details });
    let text = await t.screenText();
    assert.match(text, /Confirm \[lines 1-\d+ of \d+, more below: PgDn\]/);
    for (const line of text.split('\n')) assert.doesNotMatch(line, /postgr$|postgres$|\/\/synapse_us$/, `no word cut at the edge: ${line}`);
    assert.ok(text.includes('postgresql://'), 'the URL starts whole on its line');
    await t.press('\x1b[F'); // End
    text = await t.screenText();
    assert.match(text, /SQL: step 30 connects to/);
    assert.doesNotMatch(text, /more below/);
    await t.press('y');
    assert.equal(await answer, true);
  } finally {
    closeScreen(screen);
    t.dispose();
  }
});
