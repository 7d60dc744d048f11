// NO_COLOR on the real binary: the full-screen menu in tmux, read back with its attributes (capture-pane -e). With NO_COLOR set
// no colour is drawn (selection and bars by inverse video only); without it the same menu has colours.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tmuxServer } from './helpers/tmux.js';

const home = mkdtempSync(join(tmpdir(), 'spgw-nocolor-'));
const tmux = tmuxServer('nocolor');

after(() => {
  tmux.stop();
  rmSync(home, { recursive: true, force: true });
});

/** SGR sequences that set a foreground or background colour (8, 16, 256 colours or RGB) */
// (39 and 49 put the default colours back: they are not colours)
const COLOUR = /\x1b\[(?:[0-9;]*;)?(?:3[0-7]|4[0-7]|9[0-7]|10[0-7]|[34]8;[25];[0-9;]+)m/;

async function menuScreen(env: Record<string, string>): Promise<string> {
  const pane = tmux.start([], { cols: 100, rows: 30, cwd: home, env: { HOME: home, ...env } });
  // synchronised on the screen's content: the menu's last item and the detection panel are drawn
  const text = await pane.waitFor(/What do you want to do\?[\s\S]*Sandbox|Sandbox[\s\S]*What do you want to do\?/);
  if (/Looking at the config/.test(text)) await pane.waitFor(/^(?![\s\S]*Looking at the config)/);
  const withAttributes = pane.captureColours();
  pane.kill();
  return withAttributes;
}

test('NO_COLOR: the real binary draws its menu without colours; without NO_COLOR it uses them', { timeout: 90_000 }, async () => {
  const plain = await menuScreen({ NO_COLOR: '1' });
  assert.doesNotMatch(plain, COLOUR, 'no colour under NO_COLOR');
  assert.match(plain, /\x1b\[[0-9;]*7m/, 'the selection is shown by inverse video instead');
  const coloured = await menuScreen({});
  assert.match(coloured, COLOUR, 'the same menu has colours without NO_COLOR (so the check above can fail)');
});
