// Retry and "Diagnose this failure" with the real commands, end to end: the built binary in tmux runs setup against a real
// cluster whose pg_hba.conf refuses Synapse (ident, and --pg-hba skip), the doctor diagnoses the real error text, the admin fixes
// pg_hba.conf, and Retry runs setup again to the end.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { HBA_RHEL_IDENT, loginAs, startCluster } from './helpers/cluster.js';

const MAIN = resolve('dist/screens/main.js');
const SOCKET = `spgw-recovery-${process.pid}`;
const dirs: string[] = [];

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, '-f', '/dev/null', ...args], { encoding: 'utf8' });
}

after(() => {
  try {
    tmux('kill-server');
  } catch {
    // no server left
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const flat = (text: string) => text.replace(/[│┌┐└┘─]/g, ' ').replace(/\s+/g, ' ');

/** Waits for the pane to show `re` (polled every 100 ms: tmux has no change notification), failing with the screen after `ms`. */
async function waitFor(name: string, re: RegExp, ms = 60_000): Promise<string> {
  const until = Date.now() + ms;
  let last = '';
  while (Date.now() < until) {
    last = tmux('capture-pane', '-p', '-t', name);
    if (re.test(last) || re.test(flat(last))) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${re} in:\n${last}`);
}

/** Answers confirm dialogs with `key` until `until` shows; returns that screen. */
async function confirmUntil(name: string, key: string, until: RegExp): Promise<string> {
  for (let i = 0; i < 12; i++) {
    const screen = await waitFor(name, new RegExp(`This will change exactly:|${until.source}`));
    if (until.test(screen) || until.test(flat(screen))) return screen;
    const lines = screen.split('\n');
    const question = lines[lines.findIndex((l) => l.includes('┌─ Confirm')) + 1]!.replace(/[│\s]+$/, '').replace(/^[\s│]+/, '');
    tmux('send-keys', '-t', name, key);
    const escaped = question.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    await waitFor(name, new RegExp(`^(?![\\s\\S]*${escaped})`), 15_000);
  }
  assert.fail(`${until} never showed`);
}

test('a real setup fails, Diagnose runs the doctor on its real error, and after the fix setup runs again from there and finishes', { timeout: 240_000 }, async () => {
  const c = await startCluster({ hba: HBA_RHEL_IDENT });
  try {
    const cwd = mkdtempSync(join(tmpdir(), 'spgw-recovery-'));
    dirs.push(cwd);
    const pwFile = join(cwd, 'db-password');
    writeFileSync(pwFile, 'Recovery-pw-' + process.pid + '\n', { mode: 0o600 });
    const env = { TERM: 'xterm-256color', LANG: 'C.UTF-8', NCURSES_NO_UTF8_ACS: '1', HOME: cwd, ...c.env };
    const argv = ['setup', '--pg-hba', 'skip', '--db-port', String(c.port), '--db-password-file', pwFile];
    tmux('new-session', '-d', '-s', 'keep', 'sleep 3600');
    tmux('new-session', '-d', '-s', 'rec', '-x', '120', '-y', '40', '-c', cwd, ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]), `node ${MAIN} ${argv.join(' ')}; echo EXIT=$?; sleep 600`);

    // 1. The real failure: the login proof of the last step meets the ident line.
    let screen = await confirmUntil('rec', 'y', /Stopped:/);
    assert.match(flat(screen), /Ident authentication failed for user "synapse_user"/);
    // the recovery choices, as the result panel's keys
    assert.match(flat(screen), /r: run again\s+d: diagnose this failure/);

    // 2. Diagnose: the doctor runs on that error text and names the cause and the fix (declined here: the admin fixes it).
    tmux('send-keys', '-t', 'rec', 'd');
    screen = await confirmUntil('rec', 'n', /b: back to First-time setup/);
    const text = flat(screen);
    assert.match(text, /Cause: An ident line in pg_hba\.conf matched Synapse's TCP login/, text);
    assert.match(text, /Fix: add "host DB USER 127\.0\.0\.1\/32 scram-sha-256"/);
    assert.equal(readFileSync(c.hbaFile, 'utf8'), HBA_RHEL_IDENT, 'the declined fix changed nothing');

    // 3. The admin allows Synapse with a password, then goes back to setup: it runs again (for real) and finishes.
    writeFileSync(c.hbaFile, 'host synapse synapse_user 127.0.0.1/32 scram-sha-256\nhost synapse synapse_user ::1/128 scram-sha-256\n' + HBA_RHEL_IDENT);
    c.psql('SELECT pg_reload_conf()');
    tmux('send-keys', '-t', 'rec', 'b');
    await waitFor('rec', /^(?![\s\S]*Doctor: diagnose)/, 15_000); // the doctor's screen is gone: setup runs again
    screen = await confirmUntil('rec', 'y', /Done:|Stopped:/);
    // every step verified; the block to paste may already be there from the failed run (then nothing is changed again)
    assert.match(flat(screen), /Done: (All steps verified|Everything was already in place; all steps verified)/, screen);
    assert.match(flat(screen), /\+ verified Write the database: section/);
    assert.equal(await loginAs(c, '127.0.0.1', 'synapse_user', `Recovery-pw-${process.pid}`), 'synapse_user');
  } finally {
    c.stop();
  }
});
