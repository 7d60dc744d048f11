// End to end: the whole cutover of the practice homeserver (real Synapse on SQLite) from the full-screen app in tmux, keyboard only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { startPracticeHomeserver } from './helpers/synapse.js';

const MAIN = resolve('dist/screens/main.js');
const SOCKET = `spgw-fsc-${process.pid}`;

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, '-f', '/dev/null', ...args], { encoding: 'utf8' });
}

const capture = () => tmux('capture-pane', '-p', '-t', 'cut');

async function waitFor(re: RegExp, timeoutMs = 30_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    last = capture();
    if (re.test(last)) return last;
    await new Promise((r) => setTimeout(r, 150));
  }
  assert.fail(`timed out waiting for ${re} in:\n${last}`);
}

/** Answers each confirm dialog with y until `stopAt` is asked (left open) or the flow ends; returns how many were answered. */
async function answerConfirms(stopAt?: RegExp): Promise<number> {
  let n = 0;
  for (;;) {
    const screen = await waitFor(/This will change exactly:|Done:|Stopped:/, 150_000);
    if (!/This will change exactly:/.test(screen)) return n;
    const lines = screen.split('\n');
    const question = lines[lines.findIndex((l) => l.includes('┌─ Confirm')) + 1]!.replace(/[│\s]+$/, '').replace(/^[\s│]+/, '');
    if (stopAt?.test(question)) return n;
    n++;
    tmux('send-keys', '-t', 'cut', 'y');
    await waitFor(new RegExp(`^(?![\\s\\S]*${question.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})`), 150_000);
  }
}

function terminalState(): string[] {
  return tmux('display-message', '-p', '-t', 'cut', '#{alternate_on} #{cursor_flag}').trim().split(' ');
}

function flat(text: string): string {
  return text.replace(/[│┌┐└┘─]/g, ' ').replace(/\s+/g, ' ');
}

test('the whole cutover of the practice homeserver from the menu: Ctrl-C before the downtime pauses with a journal, the menu resumes it', { timeout: 170_000 }, async () => {
  const hs = await startPracticeHomeserver({ postgres: true, messages: 10 });
  const cwd = mkdtempSync(join(tmpdir(), 'spgw-fsc-'));
  try {
    // a session that outlives the test: tmux exits with its last session, and the second start could race that exit
    tmux('new-session', '-d', '-s', 'keep', 'sleep 3600');
    const before = (await (await hs.login()).messages(hs.rooms[0]!.roomId)).map((m) => m.eventId);
    const env = { TERM: 'xterm-256color', NCURSES_NO_UTF8_ACS: '1', LANG: 'C.UTF-8', HOME: cwd };
    const start = (stderrFile?: string) => {
      const command = `node ${MAIN} --sandbox --state-dir ${hs.stateDir}${stderrFile ? ` 2>${stderrFile}` : ''}; echo EXIT=$?; sleep 600`;
      tmux('new-session', '-d', '-s', 'cut', '-x', '120', '-y', '40', '-c', cwd, ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]), command);
    };
    start();
    let screen = await waitFor(/Database\s+SQLite/);
    assert.match(screen, /Synapse\s+running/);
    assert.match(screen, /\[c\] Cutover from SQLite/);
    tmux('send-keys', '-t', 'cut', 'c');

    // phase 1 (Synapse keeps running); at the confirm that would stop Synapse, pause with Ctrl-C instead
    let confirms = await answerConfirms(/Stop Synapse now\?/);
    screen = capture();
    assert.match(flat(screen), /Estimated downtime: \d+ s/, 'the downtime estimate is shown before stopping Synapse');
    tmux('send-keys', '-t', 'cut', 'C-c');
    screen = await waitFor(/EXIT=\d+/);
    assert.match(screen, /EXIT=130/);
    assert.match(flat(screen), /paused safely/);
    assert.match(flat(screen), new RegExp(`To resume, run: synapse-pg cutover --sandbox --state-dir ${hs.stateDir}`));
    assert.deepEqual(terminalState(), ['0', '1'], 'normal screen buffer, cursor visible');
    const journal = JSON.parse(readFileSync(join(dirname(hs.configPath), '.synapse-pg', 'cutover.json'), 'utf8')) as { phase: string; steps: Record<string, unknown> };
    assert.equal(journal.phase, 'phase1', 'the journal says where it paused');
    assert.ok(Object.keys(journal.steps).length >= 3);
    tmux('kill-session', '-t', 'cut');

    // resume: the menu sees the unfinished cutover and suggests it first
    start(join(cwd, 'stderr.txt'));
    screen = await waitFor(/Cutover\s+unfinished, phase phase1/);
    assert.match(screen, /\[c\] Cutover from SQLite\s+\(suggested\)/);
    tmux('send-keys', '-t', 'cut', 'Enter');
    confirms += await answerConfirms();
    screen = capture();
    assert.match(flat(screen), /Done: All steps verified/);
    assert.match(flat(screen), /Next steps: at the end of the text above\./);
    assert.match(flat(screen), /Next: The old SQLite file/, 'the next steps end the last step, where the pane shows its end');
    assert.match(flat(screen), /To roll back before then/);
    assert.ok(confirms >= 3, `several confirms were answered (${confirms})`);
    assert.doesNotMatch(screen, /x failed/);

    tmux('send-keys', '-t', 'cut', 'Escape'); // back to the menu: detection now sees PostgreSQL
    screen = await waitFor(/Database\s+PostgreSQL/);
    assert.match(screen, /Synapse\s+running/);
    tmux('send-keys', '-t', 'cut', 'q');
    screen = await waitFor(/EXIT=\d+/);
    assert.match(screen, /EXIT=0/);
    assert.equal(readFileSync(join(cwd, 'stderr.txt'), 'utf8'), '');
    assert.deepEqual(terminalState(), ['0', '1']);

    const after = (await (await hs.login()).messages(hs.rooms[0]!.roomId)).map((m) => m.eventId);
    for (const id of before) assert.ok(after.includes(id), `message ${id} survived the cutover`);
  } finally {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
    rmSync(join(`/tmp/tmux-${process.getuid?.() ?? 0}`, SOCKET), { force: true });
    await hs.stop();
    rmSync(cwd, { recursive: true, force: true });
  }
});
