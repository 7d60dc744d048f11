// Every flag means the same in every menu entry: --sandbox/--state-dir, -c and the connection flags reach Status, First-time
// setup, Cutover, Troubleshooting, Maintenance and Sandbox in the full-screen app and in the line-by-line mode (real practice
// homeserver, real PostgreSQL; every flow with --dry-run, so nothing is changed).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startPracticeHomeserver, type PracticeHomeserver } from './helpers/synapse.js';
import { runCli } from './helpers/cli.js';
import { flat, squash, tmuxServer, type Pane, type Tmux } from './helpers/tmux.js';

let hs: PracticeHomeserver;
let tmux: Tmux;
let cwd: string;

before(async () => {
  hs = await startPracticeHomeserver({ postgres: true, messages: 3 });
  tmux = tmuxServer('flags');
  cwd = mkdtempSync(join(tmpdir(), 'spgw-flags-'));
});

after(async () => {
  tmux?.stop();
  await hs?.stop();
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

const RESULT = /┌─ Result/;

/** Starts an entry by its letter, waits for its result, checks it, and goes back to the menu with Esc. */
async function entry(pane: Pane, letter: string, check: (screen: string) => void, answer?: () => Promise<void>): Promise<void> {
  pane.keys(letter);
  if (answer) await answer();
  const screen = await pane.waitFor(RESULT, 60_000);
  assert.doesNotMatch(screen, /\/var\/run\/postgresql|\.s\.PGSQL\.5432/, `entry ${letter} used the default socket instead of the flags:\n${screen}`);
  check(screen);
  pane.keys('Escape');
  await pane.waitFor(/What do you want to do\?/);
}

/** Every menu entry, in the full-screen app, with the given flags. */
async function everyEntry(flags: string[], sandbox: RegExp, env: Record<string, string> = {}): Promise<void> {
  const pane = tmux.start([...flags, '--dry-run'], { cols: 120, rows: 36, cwd, env: { HOME: cwd, ...env } });
  try {
    let screen = await pane.waitFor(/PostgreSQL\s+reachable/);
    assert.ok(squash(screen).includes(squash(hs.configPath)), 'the menu found the config the flags name');
    assert.match(screen, new RegExp(`127\\.0\\.0\\.1:${hs.postgres!.port}`));

    await entry(pane, 't', (s) => {
      assert.ok(squash(s).includes(squash(`Config: ${hs.configPath}`)), s);
      assert.match(flat(s), /serves from SQLite \(pid \d+ holds/, 'status maps the chroot paths to see what Synapse holds open');
    });
    await entry(pane, 's', (s) => {
      assert.match(s, /\+ verified\s+Reach PostgreSQL as an admin/);
      assert.match(flat(s), /Done: Dry run: nothing was changed/);
    }, async () => {
      await pane.waitFor(/Password for the new role synapse_user/);
      pane.keys('Enter'); // empty: generate one
    });
    await entry(pane, 'c', (s) => {
      assert.match(s, /\+ verified\s+Preflight checks/);
      assert.match(flat(s), /Done: Dry run: nothing was changed/);
    });
    // the doctor looks at the practice homeserver's own files (what it finds there is its own business)
    await entry(pane, 'd', (s) => {
      assert.match(flat(s), /Done: No known problem found\.|left unfixed|No problem left/);
      assert.ok(/No known problem/.test(s) || squash(s).includes(hs.state.serverName), s);
    });
    await entry(pane, 'm', (s) => {
      assert.ok(squash(s).includes(squash(`(${hs.configPath}) does not use PostgreSQL`)), s);
    }, async () => {
      await pane.waitFor(/Maintenance: what do you want to do\?/);
      pane.keys('Enter'); // the size report
    });
    screen = pane.capture();
    pane.keys('p');
    await pane.waitFor(/Sandbox: what do you want to do\?/);
    pane.keys('Enter'); // show it
    screen = await pane.waitFor(RESULT, 30_000);
    assert.match(flat(screen), sandbox);
    if (flags.includes('--sandbox')) assert.ok(squash(screen).includes(squash(`Config ${hs.configPath}`)), 'the sandbox says where its config is');
    pane.keys('q');
    await pane.waitFor(/What do you want to do\?/);
    pane.keys('q');
    assert.match(await pane.waitFor(/EXIT=\d+/), /EXIT=0/);
  } finally {
    pane.kill();
  }
}

test('--sandbox and --state-dir reach every menu entry of the full-screen app', { timeout: 300_000 }, async () => {
  await everyEntry(['--sandbox', '--state-dir', hs.stateDir], new RegExp(`Practice homeserver ${hs.state.serverName.replace(/\./g, '\\.')}: Synapse running and healthy`));
});

test('-c and the connection flags reach every menu entry of the full-screen app', { timeout: 300_000 }, async () => {
  const port = String(hs.postgres!.port);
  await everyEntry(['-c', hs.configPath, '--pg-admin', `url:postgresql://postgres@127.0.0.1:${port}/postgres`, '--db-host', '127.0.0.1', '--db-port', port, '--synapse-exec', `chroot:${hs.state.chrootDir}`], /No practice homeserver \(state dir [^)]+\)\. Create one with: synapse-pg sandbox up Esc/, { PGPASSWORD: hs.postgres!.password });
});

test('the same flags in the line-by-line mode: each command, and what it prints to run next carries --sandbox', { timeout: 300_000 }, async () => {
  const where = ['--sandbox', '--state-dir', hs.stateDir];
  const status = await runCli(['status', ...where], { cwd, env: { HOME: cwd } });
  assert.equal(status.code, 0, status.stderr);
  assert.ok(status.stdout.includes(`Config: ${hs.configPath}`), status.stdout);
  assert.match(status.stdout, /serves from SQLite/);

  const setup = await runCli(['setup', ...where, '--dry-run'], { cwd, env: { HOME: cwd } });
  assert.equal(setup.code, 0, setup.stdout + setup.stderr);
  assert.doesNotMatch(setup.stdout + setup.stderr, /\/var\/run\/postgresql/);
  assert.match(setup.stdout, new RegExp(`127\\.0\\.0\\.1:${hs.postgres!.port}`));
  assert.match(setup.stdout, /== The plan a real run asks you to approve once:\n {3}1\. Create the database role: Create the role synapse_user/, '--dry-run ends with the same review');

  const cutover = await runCli(['cutover', ...where, '--dry-run'], { cwd, env: { HOME: cwd } });
  assert.equal(cutover.code, 0, cutover.stdout + cutover.stderr);
  assert.doesNotMatch(cutover.stdout + cutover.stderr, /\/var\/run\/postgresql/);
  const doctor = await runCli(['doctor', ...where, '--dry-run'], { cwd, env: { HOME: cwd } });
  assert.ok(doctor.stdout.includes(hs.state.serverName) || /No known problem found/.test(doctor.stdout), doctor.stdout + doctor.stderr);
  assert.doesNotMatch(doctor.stdout + doctor.stderr, /\/var\/run\/postgresql/);
  const maintain = await runCli(['maintain', 'report', ...where], { cwd, env: { HOME: cwd } });
  assert.equal(maintain.code, 1);
  assert.ok(maintain.stderr.includes(`(${hs.configPath}) does not use PostgreSQL`), maintain.stderr);
  assert.ok(maintain.stderr.includes(`synapse-pg cutover --sandbox --state-dir ${hs.stateDir}`), 'the printed command runs as printed');

  // an unfinished cutover in the journal: status says how to continue it with the same flags, and a resumed
  // cutover's first --json line is the flow event (what it found about the journal comes after it, with a step id)
  const journal = join(dirname(hs.configPath), '.synapse-pg', 'cutover.json');
  mkdirSync(dirname(journal), { recursive: true });
  writeFileSync(journal, JSON.stringify({ version: 1, startedAt: new Date().toISOString(), phase: 'phase1', steps: {}, target: { host: '127.0.0.1', port: hs.postgres!.port, dbName: 'synapse', dbUser: 'synapse_user' } }));
  try {
    const again = await runCli(['status', ...where], { cwd, env: { HOME: cwd } });
    assert.ok(again.stdout.includes(`run synapse-pg cutover --sandbox --state-dir ${hs.stateDir} to continue`), again.stdout);
    const resumed = await runCli(['cutover', ...where, '--dry-run', '--json'], { cwd, env: { HOME: cwd } });
    assert.equal(resumed.events[0]?.event, 'flow', resumed.stdout.split('\n')[0]);
    const continuing = resumed.events.find((e) => e.event === 'log' && /Continuing the cutover started at/.test(String(e.message)));
    assert.ok(continuing, 'the resumed run says so');
    assert.equal(typeof continuing.id, 'string', 'with a step id');
    assert.ok(resumed.events.every((e) => e.event !== 'log' || typeof e.id === 'string'), 'no log line without a step id');
  } finally {
    rmSync(dirname(journal), { recursive: true, force: true });
  }
});

test('a whole cutover of the practice homeserver in the plain mode: one review, the stop asked on its own, no repeated block, next steps at the end', { timeout: 400_000 }, async () => {
  const pane = tmux.start(['cutover', '--plain', '--sandbox', '--state-dir', hs.stateDir], { cols: 160, rows: 50, cwd, env: { HOME: cwd } });
  try {
    await pane.waitFor(/Apply this plan\?/, 120_000);
    pane.keys('Enter'); // yes
    await pane.waitFor(/Stop Synapse now\?/, 240_000);
    pane.keys('Enter'); // yes
    const screen = await pane.waitFor(/EXIT=\d+/, 300_000);
    const all = pane.history();
    assert.match(screen, /EXIT=0/, all.slice(-3000));
    assert.equal(all.match(/Apply this plan\?/g)?.length, 1);
    assert.equal(all.match(/^[◇◆■▲]\s+Stop Synapse now\?/gm)?.length, 1, 'the stop is asked once, on its own');
    // no block printed twice: the review shows every plan once; no step prints it again, the stop's own question included
    const lines = all.split('\n').map((l) => l.replace(/[│◇◆●■▲└┌─╮╯]/g, '').trim());
    const reviewEnd = lines.findIndex((l) => l.startsWith('Apply this plan?'));
    const review = lines.slice(0, reviewEnd).filter((l) => l.length > 20);
    const after = lines.slice(reviewEnd + 1).join('\n');
    for (let i = 0; i + 4 <= review.length; i++) assert.ok(!after.includes(review.slice(i, i + 4).join('\n')), `printed again after the review:\n${review.slice(i, i + 4).join('\n')}`);
    assert.equal(all.match(/What this step will do/g)?.length, 1, 'only the stop shows its plan again, right before its own question');
    assert.equal(all.match(/Will change/g)?.length, 1, 'the review; the stop question does not repeat the plan printed above it');
    assert.ok((all.match(/: 100%/g)?.length ?? 0) <= 10, 'no wall of "table: 100%"');
    assert.ok(flat(all).includes(`Next: The old SQLite file ${hs.sqlitePath}`), 'success ends with the next steps');
    assert.match(flat(all), /safe to delete/);
    assert.match(flat(all), /To roll back before then: stop Synapse, copy \S+ over \S+, start Synapse/);
    assert.match(flat(all), new RegExp(`synapse-pg maintain backup --sandbox --state-dir ${hs.stateDir}`));
  } finally {
    pane.kill();
  }
});
