// Colours that read on dark and on light terminals: every cell of the menu, the keys box, a question and a finished flow is read
// back from tmux (capture-pane -e) for each TERM Debian's terminfo knows, and none may be black or white on the default background.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster } from './helpers/cluster.js';
import { cells, unreadable } from './helpers/sgr.js';
import { tmuxServer, type Pane, type Tmux } from './helpers/tmux.js';

let cluster: Cluster;
let tmux: Tmux;
let cwd: string;

before(async () => {
  cluster = await startCluster();
  tmux = tmuxServer('colours');
  cwd = mkdtempSync(join(tmpdir(), 'spgw-colours-'));
});

after(() => {
  tmux?.stop();
  cluster?.stop();
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

test('the cell reader sees black and white text on the default background, and not inverse or coloured backgrounds', () => {
  assert.deepEqual(unreadable('ok \x1b[30mX\x1b[0m \x1b[37;44mY\x1b[0m \x1b[7;30mZ\x1b[0m \x1b[38;5;15mW').map((c) => c.ch), ['X', 'W']);
  assert.deepEqual(cells('\x1b[32mg\x1b[39md').map((c) => c.fg), [2, 'default']);
});

function check(pane: Pane, term: string, what: string): void {
  const screen = pane.captureColours();
  const bad = unreadable(screen);
  const rows = pane.capture().split('\n');
  assert.deepEqual(bad.slice(0, 5).map((c) => `row ${c.row} col ${c.col} "${rows[c.row]?.trim().slice(0, 60)}": ${c.ch} fg ${c.fg}`), [], `TERM=${term}, ${what}: text drawn black or white on the default background`);
  assert.ok(cells(screen).some((c) => c.fg !== 'default'), `TERM=${term}, ${what}: colours are drawn at all`);
  assert.match(rows.join('\n'), /┌─/, `TERM=${term}, ${what}: box lines drawn as lines (not the "lqqk" of an unswitched charset)`);
  assert.doesNotMatch(rows.join('\n'), /lqq|qqk|mqq/, `TERM=${term}, ${what}: no raw line-drawing characters`);
}

for (const term of ['xterm', 'xterm-256color', 'screen', 'tmux-256color', 'linux']) {
  test(`TERM=${term}: the menu, the keys, a question and a finished flow read on any background`, { timeout: 60_000 }, async () => {
    const pane = tmux.start(['--db-port', String(cluster.port), '--db-user', 'colour_user', '--dry-run'], { cols: 100, rows: 30, cwd, env: { ...cluster.env, HOME: cwd, TERM: term } });
    try {
      await pane.waitFor(/PostgreSQL\s+reachable/);
      check(pane, term, 'the menu');
      pane.keys('?');
      await pane.waitFor(/Keys \(any key closes\)/);
      check(pane, term, 'the keys box');
      pane.keys('Escape');
      await pane.waitFor(/^(?![\s\S]*Keys \(any key closes\))/);
      pane.keys('s');
      await pane.waitFor(/Password for the new role colour_user/);
      check(pane, term, 'a question over pending steps');
      pane.keys('Enter');
      await pane.waitFor(/┌─ Result/, 30_000);
      check(pane, term, 'a finished flow');
      pane.keys('q');
      await pane.waitFor(/What do you want to do\?/);
      pane.keys('q');
      assert.match(await pane.waitFor(/EXIT=\d+/), /EXIT=0/);
    } finally {
      pane.kill();
    }
  });
}
