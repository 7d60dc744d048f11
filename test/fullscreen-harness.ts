// A fake terminal for the full-screen render tests: blessed writes into @xterm/headless, keys are bytes on a fake TTY input.
import { PassThrough, Writable } from 'node:stream';
import xterm from '@xterm/headless';
import type blessed from 'blessed';
import { KeyRouter } from '../screens/fullscreen/keys.js';
import { openScreen } from '../screens/fullscreen/terminal.js';
import { makeTheme } from '../screens/fullscreen/theme.js';

export const KEYS = { enter: '\r', up: '\x1b[A', down: '\x1b[B', ctrlC: '\x03', ctrlU: '\x15', backspace: '\x7f', pageDown: '\x1b[6~', pageUp: '\x1b[5~' } as const;

export interface FakeTerminal {
  input: PassThrough & { isTTY: boolean; setRawMode(on: boolean): void };
  output: Writable & { isTTY: boolean; columns: number; rows: number };
  /** Everything blessed wrote, as text (escape sequences included). */
  written(): string;
  /** The screen as lines of text, after blessed and the emulator settle. */
  screenText(): Promise<string>;
  /** Foreground colour (palette index) of the first cell of `needle` on screen, 'default', or undefined when not found. */
  colourOf(needle: string): Promise<number | 'default' | undefined>;
  press(...keys: string[]): Promise<void>;
  resize(cols: number, rows: number): Promise<void>;
  openScreen(env?: NodeJS.ProcessEnv): blessed.Widgets.Screen;
  dispose(): void;
}

export function settle(ms = 30): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function fakeTerminal(cols = 100, rows = 30): FakeTerminal {
  const term = new xterm.Terminal({ cols, rows, allowProposedApi: true });
  let log = '';
  const output = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      const s = chunk.toString();
      log += s;
      term.write(s, () => cb());
    },
  }) as FakeTerminal['output'];
  Object.assign(output, { isTTY: true, columns: cols, rows });
  const input = new PassThrough() as FakeTerminal['input'];
  Object.assign(input, { isTTY: true, setRawMode: () => {} });
  const flush = async () => {
    await settle(70); // the flow screen draws progress and log lines every 40 ms
    await new Promise<void>((r) => term.write('', r));
  };
  const lines = () => {
    const b = term.buffer.active;
    const out: string[] = [];
    for (let y = 0; y < term.rows; y++) out.push(b.getLine(b.viewportY + y)?.translateToString(true) ?? '');
    return out;
  };
  return {
    input,
    output,
    written: () => log,
    async screenText() {
      await flush();
      return lines().join('\n');
    },
    async colourOf(needle) {
      await flush();
      const b = term.buffer.active;
      const rowsText = lines();
      const y = rowsText.findIndex((l) => l.includes(needle));
      if (y < 0) return undefined;
      const cell = b.getLine(b.viewportY + y)!.getCell(rowsText[y]!.indexOf(needle))!;
      return cell.isFgDefault() ? 'default' : cell.getFgColor();
    },
    async press(...keys) {
      for (const k of keys) {
        input.write(k);
        await settle(15);
      }
      await flush();
    },
    async resize(c, r) {
      term.resize(c, r);
      Object.assign(output, { columns: c, rows: r });
      output.emit('resize');
      await flush();
    },
    openScreen(env = { TERM: 'xterm-256color' }) {
      return openScreen({ input, output }, env);
    },
    dispose() {
      term.dispose();
    },
  };
}

/** The screen text without box borders and with whitespace collapsed, for sentences that wrap. */
export function flat(text: string): string {
  return text.replace(/[│┌┐└┘─]/g, ' ').replace(/\s+/g, ' ');
}

export const STEPS = [
  { id: 'find-config', title: 'Find the Synapse config' },
  { id: 'create-role', title: 'Create the database role' },
  { id: 'pg-hba', title: 'Allow Synapse in pg_hba.conf' },
  { id: 'database-config', title: 'Write the database: section' },
];

/** A screen on the fake terminal with what dialogs need: a key router, a theme and an AbortSignal. */
export function withScreen(t: FakeTerminal, env: NodeJS.ProcessEnv = { TERM: 'xterm-256color' }) {
  const screen = t.openScreen(env);
  const abort = new AbortController();
  const router = new KeyRouter(screen, () => abort.abort());
  const theme = makeTheme(env);
  const host = { screen, router, theme, signal: abort.signal, pause: () => abort.abort() };
  return { screen, abort, router, theme, host };
}
