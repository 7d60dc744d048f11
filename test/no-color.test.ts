// NO_COLOR on the real binary: the full-screen menu in tmux, read back with its attributes (capture-pane -e). With NO_COLOR set
// no colour is drawn (selection and bars by inverse video only); without it the same menu has colours.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const MAIN = resolve('dist/screens/main.js');
const SOCKET = `spgw-nocolor-${process.pid}`;
const home = mkdtempSync(join(tmpdir(), 'spgw-nocolor-'));

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, '-f', '/dev/null', ...args], { encoding: 'utf8' });
}

after(() => {
  try {
    tmux('kill-server');
  } catch {
    // no server left
  }
  rmSync(home, { recursive: true, force: true });
});

/** SGR sequences that set a foreground or background colour (8, 16, 256 colours or RGB) */
// (39 and 49 put the default colours back: they are not colours)
const COLOUR = /\x1b\[(?:[0-9;]*;)?(?:3[0-7]|4[0-7]|9[0-7]|10[0-7]|[34]8;[25];[0-9;]+)m/;

async function menuScreen(name: string, env: Record<string, string>): Promise<string> {
  const vars = { TERM: 'xterm-256color', LANG: 'C.UTF-8', HOME: home, ...env };
  tmux('new-session', '-d', '-s', name, '-x', '100', '-y', '30', '-c', home, ...Object.entries(vars).flatMap(([k, v]) => ['-e', `${k}=${v}`]), `node ${MAIN}; sleep 600`);
  const until = Date.now() + 30_000;
  let text = '';
  // synchronised on the screen's content: the menu's last item and the detection panel are drawn
  while (Date.now() < until) {
    text = tmux('capture-pane', '-p', '-t', name);
    if (/What do you want to do\?/.test(text) && /Sandbox/.test(text) && !/Looking at the config/.test(text)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(text, /Sandbox/, `the menu was drawn:\n${text}`);
  const withAttributes = tmux('capture-pane', '-p', '-e', '-t', name);
  tmux('kill-session', '-t', name);
  return withAttributes;
}

test('NO_COLOR: the real binary draws its menu without colours; without NO_COLOR it uses them', { timeout: 90_000 }, async () => {
  // a session that outlives the others: tmux exits with its last session, and a new one could race that exit
  tmux('new-session', '-d', '-s', 'keep', 'sleep 3600');
  const plain = await menuScreen('nocolor', { NO_COLOR: '1' });
  assert.doesNotMatch(plain, COLOUR, 'no colour under NO_COLOR');
  assert.match(plain, /\x1b\[[0-9;]*7m/, 'the selection is shown by inverse video instead');
  const coloured = await menuScreen('colour', {});
  assert.match(coloured, COLOUR, 'the same menu has colours without NO_COLOR (so the check above can fail)');
});
