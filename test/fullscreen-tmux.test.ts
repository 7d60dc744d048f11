// End to end: the built binary in tmux (TERM=xterm-256color), driven with send-keys and read with capture-pane.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startCluster, type Cluster } from './helpers/cluster.js';

const MAIN = resolve('dist/screens/main.js');
const SOCKET = `spgw-fs-${process.pid}`;

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, '-f', '/dev/null', ...args], { encoding: 'utf8' });
}

interface Pane {
  name: string;
  capture(): string;
  /** The screen with the lines that scrolled off it. */
  history(): string;
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  keys(...keys: string[]): void;
  type(text: string): void;
  /** tmux's view of the terminal: is the alternate screen on, is the cursor visible. */
  state(): { alternate: boolean; cursor: boolean };
}

let n = 0;
function start(argv: string[], opts: { cols: number; rows: number; cwd: string; env: Record<string, string>; stderrFile?: string }): Pane {
  const name = `s${++n}`;
  const env = { TERM: 'xterm-256color', NCURSES_NO_UTF8_ACS: '1', LANG: 'C.UTF-8', ...opts.env };
  const command = `node ${MAIN} ${argv.join(' ')}${opts.stderrFile ? ` 2>${opts.stderrFile}` : ''}; echo EXIT=$?; sleep 600`;
  tmux('new-session', '-d', '-s', name, '-x', String(opts.cols), '-y', String(opts.rows), '-c', opts.cwd, ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]), command);
  const capture = () => tmux('capture-pane', '-p', '-t', name);
  const history = () => tmux('capture-pane', '-p', '-S', '-200', '-t', name);
  return {
    name,
    capture,
    history,
    async waitFor(re, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      let last = '';
      while (Date.now() < until) {
        last = capture();
        if (re.test(last)) return last;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.fail(`timed out waiting for ${re} in:\n${last}`);
    },
    keys: (...keys) => void tmux('send-keys', '-t', name, ...keys),
    type: (text) => void tmux('send-keys', '-t', name, '-l', text),
    state() {
      const [alt, cur] = tmux('display-message', '-p', '-t', name, '#{alternate_on} #{cursor_flag}').trim().split(' ');
      return { alternate: alt === '1', cursor: cur === '1' };
    },
  };
}

/** Without borders and with whitespace collapsed, for sentences that wrap in a box. */
function flat(text: string): string {
  return text.replace(/[│┌┐└┘─]/g, ' ').replace(/\s+/g, ' ');
}

let cluster: Cluster;
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'spgw-fs-e2e-'));
  dirs.push(d);
  return d;
}

before(async () => {
  // a session that outlives the tests: tmux exits with its last session, and a new one could race that exit
  tmux('new-session', '-d', '-s', 'keep', 'sleep 3600');
  cluster = await startCluster();
});

after(() => {
  try {
    tmux('kill-server');
  } catch {
    // no server left
  }
  rmSync(join(`/tmp/tmux-${process.getuid?.() ?? 0}`, SOCKET), { force: true });
  cluster?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('the menu, a resize, and a whole first-time setup from the keyboard against a real cluster', async () => {
  const cwd = tempDir();
  const stderrFile = join(cwd, 'stderr.txt');
  const pane = start(['--db-port', String(cluster.port)], { cols: 120, rows: 40, cwd, env: { ...cluster.env, HOME: cwd }, stderrFile });
  try {
    let screen = await pane.waitFor(/PostgreSQL\s+reachable/);
    assert.match(screen, /What do you want to do\?/);
    assert.match(screen, /\[s\] First-time setup\s+\(suggested\)/);
    for (const item of ['Cutover from SQLite', 'Troubleshooting', 'Maintenance', 'Status', 'Sandbox']) assert.match(screen, new RegExp(item));
    assert.doesNotMatch(screen, /WARNING|Error on|Setulc|terminfo/i, 'no terminfo warning');
    assert.equal(pane.state().alternate, true);

    tmux('resize-window', '-t', pane.name, '-x', '100', '-y', '30');
    screen = await pane.waitFor(/^┌─ Found on this machine ─+┐$/m);
    assert.equal(screen.split('\n')[1]!.length, 100, 'redrawn at 100 columns');
    tmux('resize-window', '-t', pane.name, '-x', '120', '-y', '40');
    screen = await pane.waitFor(/^┌─ Found on this machine ─{90,}┐$/m);
    assert.equal(screen.split('\n')[1]!.length, 120, 'redrawn at 120 columns');

    pane.keys('Enter');
    await pane.waitFor(/Password for the new role synapse_user/);
    pane.type('correct-horse-battery');
    screen = await pane.waitFor(/> \*{21}/);
    assert.doesNotMatch(screen, /correct-horse/, 'the password is masked');
    pane.keys('Enter');

    // answer every confirm dialog with y until the flow is done
    let sawDiff = false;
    for (let i = 0; i < 10; i++) {
      screen = await pane.waitFor(/This will change exactly:|Done:|Stopped:/, 30_000);
      if (!/This will change exactly:/.test(screen)) break;
      assert.match(screen, /Yes, do it \(y\)/);
      if (screen.includes('+database:')) {
        sawDiff = true;
        const coloured = tmux('capture-pane', '-p', '-e', '-t', pane.name);
        assert.match(coloured, /\x1b\[[0-9;]*32m\+database:/, 'added lines of the diff are green on the real terminal');
      }
      const lines = screen.split('\n');
      const question = lines[lines.findIndex((l) => l.includes('┌─ Confirm')) + 1]!.replace(/[│\s]+$/, '').replace(/^[\s│]+/, '');
      pane.keys('y');
      const escaped = question.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      await pane.waitFor(new RegExp(`^(?![\\s\\S]*${escaped})`), 15_000);
    }
    assert.match(flat(screen), /Done: All steps verified/);
    assert.ok(sawDiff, 'the database: section was confirmed from its diff');
    assert.match(screen, /\+ verified\s+Create the database ro/);
    assert.match(screen, /\+ verified\s+Create the database\s/);
    assert.match(screen, /finished/);

    pane.keys('q'); // back to the menu
    await pane.waitFor(/What do you want to do\?/);
    pane.keys('q'); // quit
    screen = await pane.waitFor(/EXIT=\d+/);
    assert.match(screen, /EXIT=0/);
    assert.match(screen, /synapse-pg: All steps verified/);
    assert.match(screen, /^ {2}verified {5}Create the database role: /m, 'a summary of the steps stays in the scrollback');
    assert.deepEqual(pane.state(), { alternate: false, cursor: true });
    assert.equal(readFileSync(stderrFile, 'utf8'), '', 'nothing on stderr: no terminfo complaints from blessed');

    assert.equal(cluster.psql("SELECT rolname FROM pg_roles WHERE rolname = 'synapse_user' AND rolcanlogin"), 'synapse_user');
    assert.equal(cluster.psql("SELECT datname || ' ' || pg_get_userbyid(datdba) || ' ' || datcollate FROM pg_database WHERE datname = 'synapse'"), 'synapse synapse_user C');
  } finally {
    tmux('kill-session', '-t', pane.name);
  }
});

test('a 60x20 window falls back to the plain mode with a one-line notice', async () => {
  const cwd = tempDir();
  const pane = start([], { cols: 60, rows: 20, cwd, env: { ...cluster.env, HOME: cwd } });
  try {
    const screen = await pane.waitFor(/What do you want to do\?/);
    assert.match(pane.history(), /^synapse-pg: plain mode, the terminal is 60x20 \(below 80x24\)\.$/m);
    assert.match(screen, /First-time setup/);
    assert.equal(pane.state().alternate, false, 'no full screen');
    pane.keys('C-c');
    assert.match(await pane.waitFor(/EXIT=\d+/), /EXIT=0/);
  } finally {
    tmux('kill-session', '-t', pane.name);
  }
});

test('Ctrl-C pauses safely: clean terminal, how to resume, nothing half-done', async () => {
  const cwd = tempDir();
  const pane = start(['setup', '--db-port', String(cluster.port), '--db-user', 'paused_user', '--db-name', 'paused_db'], { cols: 120, rows: 40, cwd, env: { ...cluster.env, HOME: cwd } });
  try {
    await pane.waitFor(/Password for the new role paused_user/);
    assert.equal(pane.state().alternate, true);
    pane.keys('C-c');
    const screen = await pane.waitFor(/EXIT=\d+/);
    assert.match(screen, /EXIT=130/);
    assert.match(screen, /synapse-pg: paused safely\./);
    assert.match(screen, /To resume, run: synapse-pg setup --db-port \d+ --db-user paused_user --db-name paused_db/);
    assert.doesNotMatch(screen, /┌|│|Steps/, 'the full screen is gone');
    assert.deepEqual(pane.state(), { alternate: false, cursor: true });
    assert.equal(cluster.psql("SELECT count(*) FROM pg_roles WHERE rolname = 'paused_user'"), '0');
  } finally {
    tmux('kill-session', '-t', pane.name);
  }
});
