// Navigation as admins expect it (tmux, the built binary, a real PostgreSQL): ? shows the keys, Esc goes back one level, the
// maintenance chooser goes back to the menu, a long report scrolls with a visible position, a finished flow stays readable,
// q returns to the menu and quits from it, a config path can be typed in the app, the password is asked once; 80x24 and 200x60.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster } from './helpers/cluster.js';
import { runCli } from './helpers/cli.js';
import { flat, tmuxServer, type Pane, type Tmux } from './helpers/tmux.js';

let cluster: Cluster;
let tmux: Tmux;
let cwd: string;
let config: string;
let passwordFile: string;

before(async () => {
  cluster = await startCluster();
  tmux = tmuxServer('nav');
  cwd = mkdtempSync(join(tmpdir(), 'spgw-nav-'));
  config = join(cwd, 'homeserver.yaml');
  passwordFile = join(cwd, 'db-password');
  writeFileSync(config, 'server_name: nav.test\nlisteners:\n  - port: 8008\n    type: http\n    resources:\n      - names: [client]\n');
  // Synapse's database, set up by the wizard itself, with 40 tables so the size report is longer than the screen
  const setup = await runCli(['setup', '-c', config, '--yes', '--db-port', String(cluster.port), '--db-password-file', passwordFile], { env: { ...cluster.env, HOME: cwd } });
  assert.equal(setup.code, 0, setup.stdout + setup.stderr);
  cluster.psql(Array.from({ length: 40 }, (_, i) => `CREATE TABLE events_${i + 1} AS SELECT g AS id, repeat('x', ${(i + 1) * 20}) AS body FROM generate_series(1, ${(i + 1) * 50}) g;`).join('\n'), 'synapse');
});

after(() => {
  tmux?.stop();
  cluster?.stop();
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

const MENU = /What do you want to do\?/;

function start(argv: string[], cols: number, rows: number, dir = cwd): Pane {
  return tmux.start(argv, { cols, rows, cwd: dir, env: { ...cluster.env, HOME: dir } });
}

/** The detail pane's position, from its label "[lines A-B of N]" (narrow: "[A-B/N]"). */
function position(screen: string): [number, number, number] {
  const m = /\[(?:lines )?(\d+)-(\d+)(?: of |\/)(\d+)\]/.exec(screen);
  assert.ok(m, `no scroll position shown in:\n${screen}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

test('at 80x24: keys, Esc back from the task chooser, a long report scrolls with its position shown, q back to the menu', { timeout: 90_000 }, async () => {
  const pane = start(['-c', config, '--top', '40'], 80, 24);
  try {
    let screen = await pane.waitFor(/PostgreSQL\s+reachable/);
    for (const item of ['[s] First-time setup', '[c] Cutover from SQLite', '[d] Troubleshooting', '[m] Maintenance', '[t] Status', '[p] Sandbox']) assert.ok(screen.includes(item), `${item} in:\n${screen}`);
    assert.match(screen, /\?: keys/);
    assert.ok(screen.split('\n').every((l) => l.length <= 80));

    pane.keys('?');
    const before = screen;
    screen = await pane.waitFor(/Keys \(any key closes\)/);
    assert.match(screen, /start that task directly/);
    pane.keys('Escape');
    screen = await pane.waitFor(/^(?![\s\S]*Keys \(any key closes\))/);
    assert.equal(screen, before, 'closing a box leaves nothing of it behind');

    pane.keys('m');
    screen = await pane.waitFor(/Maintenance: what do you want to do\?/);
    assert.match(screen, /Back to the menu \(Esc\)/);
    pane.keys('Escape');
    screen = await pane.waitFor(MENU);
    assert.doesNotMatch(screen, /Maintenance: what do you want/);

    pane.keys('m');
    await pane.waitFor(/Maintenance: what do you want to do\?/);
    pane.keys('Enter'); // the size report
    screen = await pane.waitFor(/┌─ Result/);
    assert.match(flat(screen), /Done: Complete; it only reads, so nothing was changed\./);
    assert.doesNotMatch(screen, /already in place/);
    const header = screen.split('\n')[0]!;
    assert.match(header, /finished {2}took \d+:\d\d/, 'the clock stops at the end');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(pane.capture().split('\n')[0], header, 'and does not count on');
    const [, end, total] = position(screen);
    assert.equal(end, total, 'it shows the end of the report first');
    assert.ok(total > 40, 'the report is longer than the pane');
    assert.match(screen, /PgUp\/PgDn\/Home\/End: scroll/);
    pane.keys('PPage');
    await new Promise((r) => setTimeout(r, 300));
    const [up] = position(pane.capture());
    assert.ok(up < total - 20, 'PgUp scrolled back');
    pane.keys('Home');
    await pane.waitFor(/\[(lines )?1-\d+(\/| of )/);
    screen = pane.capture();
    assert.match(screen, /Why: Shows where the space goes/, 'the first lines of the report can be read');
    assert.match(screen, /┌─ Result/, 'the result stays on screen while reading');

    pane.keys('q');
    await pane.waitFor(MENU);
    pane.keys('q');
    screen = await pane.waitFor(/EXIT=\d+/);
    assert.match(screen, /EXIT=0/);
    assert.match(pane.history(), /synapse-pg: Complete; it only reads/, 'what ran stays in the scrollback');
    assert.deepEqual(pane.state(), { alternate: false, cursor: true });
  } finally {
    pane.kill();
  }
});

test('at 200x60: a config path typed in the app (checked as typed), the password asked once, the finished setup browsable', { timeout: 90_000 }, async () => {
  const elsewhere = mkdtempSync(join(cwd, 'elsewhere-')); // no config to find here: it is typed in
  cluster.psql('DROP DATABASE synapse WITH (FORCE)');
  cluster.psql('DROP ROLE synapse_user');
  writeFileSync(config, 'server_name: nav.test\nlisteners:\n  - port: 8008\n    type: http\n    resources:\n      - names: [client]\n');
  const pane = start(['--db-port', String(cluster.port)], 200, 60, elsewhere);
  try {
    let screen = await pane.waitFor(/PostgreSQL\s+reachable/);
    assert.match(screen, /Config\s+no Synapse config found/);
    assert.equal(screen.split('\n')[1]!.length, 200, 'the layout uses the whole width');
    pane.resize(70, 20);
    await pane.waitFor(/70x20 is below 80x24: enlarge the window/);
    pane.resize(200, 60);
    screen = await pane.waitFor(/^ synapse-pg \S+: Synapse on PostgreSQL/);
    assert.equal(screen.split('\n')[1]!.length, 200, 'redrawn at full size');
    pane.keys('o');
    await pane.waitFor(/Path of the Synapse config/);
    pane.type(join(cwd, 'nope.yaml'));
    pane.keys('Enter');
    await pane.waitFor(/nope\.yaml: no such file or directory/);
    pane.keys('C-u');
    pane.type(config);
    pane.keys('Enter');
    screen = await pane.waitFor(new RegExp(`Config\\s+${config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));

    // a new role, its password left empty (generated): asked once by the read-only checks, never again by the step
    pane.keys('s');
    await pane.waitFor(/Password for the new role synapse_user/);
    pane.keys('Enter');
    await pane.waitFor(/^(?![\s\S]*Password for the new role)/);
    const questions: string[] = [];
    for (let i = 0; i < 10; i++) {
      screen = await pane.waitFor(/This will change exactly:|┌─ Result|Password for the new role/, 30_000);
      assert.doesNotMatch(screen, /Password for the new role/, 'the password is not asked a second time');
      if (!/This will change exactly:/.test(screen)) break;
      const lines = screen.split('\n');
      const question = lines[lines.findIndex((l) => l.includes('┌─ Confirm')) + 1]!.replace(/[│\s]+$/, '').replace(/^[\s│]+/, '');
      questions.push(question);
      if (i === 0) {
        // the whole plan in one scrollable review: its first step at the top, its last one further down
        assert.match(flat(screen), /1\. Create the database role/);
        pane.keys('End');
        await new Promise((r) => setTimeout(r, 300));
        assert.match(flat(pane.capture()), /Write the database: section[\s\S]*Each change is applied whole and verified before the next/);
      }
      pane.keys('y');
      await pane.waitFor(new RegExp(`^(?![\\s\\S]*${question.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})`), 15_000);
    }
    assert.match(flat(screen), /Done: All steps verified/);
    assert.deepEqual(questions, ['Apply this plan? 3 step(s) will change the system, in this order, each verified before the next.'], 'one confirmation for the whole plan');
    pane.keys('Up');
    await new Promise((r) => setTimeout(r, 300));
    screen = pane.capture();
    assert.match(screen, /┌─ Allow Synapse in pg_hba\.conf/, 'Up shows the step before the last one');
    assert.match(screen, /┌─ Result/, 'the result stays while the steps are read');
    pane.keys('Escape');
    await pane.waitFor(MENU);
    pane.keys('q');
    assert.match(await pane.waitFor(/EXIT=\d+/), /EXIT=0/);
  } finally {
    pane.kill();
  }
});

test('the plain mode: one review, each plan printed once, the password asked once', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(cwd, 'plain-'));
  writeFileSync(join(dir, 'homeserver.yaml'), 'server_name: plain.test\n');
  const pane = tmux.start(['setup', '--plain', '-c', join(dir, 'homeserver.yaml'), '--db-port', String(cluster.port), '--db-user', 'plain_user', '--db-name', 'plain_db'], { cols: 120, rows: 50, cwd: dir, env: { ...cluster.env, HOME: dir } });
  try {
    await pane.waitFor(/Password for the new role plain_user/);
    pane.keys('Enter');
    await pane.waitFor(/Apply this plan\?/);
    pane.keys('Enter'); // yes is the default
    const screen = await pane.waitFor(/EXIT=\d+/, 60_000);
    assert.match(screen, /EXIT=0/);
    const all = pane.history();
    assert.equal(all.match(/CREATE ROLE "plain_user"/g)?.length, 1, `the role's plan once:\n${all}`);
    assert.equal(all.match(/CREATE DATABASE "plain_db"/g)?.length, 1, 'the database plan once');
    assert.equal(all.match(/Password for the new role/g)?.length, 1, 'the password asked once');
    assert.equal(all.match(/Apply this plan\?/g)?.length, 1);
    assert.equal(cluster.psql("SELECT count(*) FROM pg_roles WHERE rolname = 'plain_user'"), '1');
  } finally {
    pane.kill();
  }
});
