// Opens and closes the blessed screen: quiet terminfo fallback, size rules, and a clean terminal afterwards.
import blessed from 'blessed';

export const MIN_COLUMNS = 80;
export const MIN_ROWS = 24;

export interface TerminalStreams {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };
}

/** Why the full-screen app cannot run here, or undefined when it can. */
export function fullscreenRefusal(s: TerminalStreams): string | undefined {
  if (!s.input.isTTY || !s.output.isTTY) return 'no terminal';
  const cols = s.output.columns ?? 0;
  const rows = s.output.rows ?? 0;
  if (cols < MIN_COLUMNS || rows < MIN_ROWS) return `the terminal is ${cols}x${rows} (below ${MIN_COLUMNS}x${MIN_ROWS})`;
  return undefined;
}

/**
 * blessed 0.1.81 cannot read ncurses 6 terminfo files (Debian 12's xterm-256color uses the 32-bit number
 * format) and prints its compiler errors with console.error for some entries (screen-256color, Setulc).
 * It then falls back to the copies it ships. Let it, but silence the printing while it parses, and never
 * turn its 'warning' into a box (warnings: false). TERM values it cannot use at all become plain xterm.
 */
export function openScreen(s: TerminalStreams, env: NodeJS.ProcessEnv = process.env): blessed.Widgets.Screen {
  const saved = { error: console.error, log: console.log, warn: console.warn };
  console.error = console.log = console.warn = () => {};
  // A UTF-8 terminal draws the box lines itself: blessed's line-drawing charset (smacs) shows as "lqqk" under tmux-256color
  // and screen when its terminfo copy lacks U8; NCURSES_NO_UTF8_ACS is ncurses' own switch for this, read by blessed's tput.
  const acs = process.env.NCURSES_NO_UTF8_ACS;
  if (acs === undefined && /utf-?8/i.test(env.LC_ALL || env.LC_CTYPE || env.LANG || '')) process.env.NCURSES_NO_UTF8_ACS = '1';
  try {
    const terminal = usableTerm(env.TERM);
    return blessed.screen({
      input: s.input as never,
      output: s.output as never,
      terminal,
      // smartCSR's scroll-region redraws left stale cells beside dialogs in tmux
      smartCSR: false,
      warnings: false,
      autoPadding: true,
      fullUnicode: false,
      dockBorders: false,
      title: 'synapse-pg',
      cursor: { artificial: false, shape: 'block', blink: false, color: null as unknown as string },
    });
  } finally {
    Object.assign(console, saved);
    if (acs === undefined) delete process.env.NCURSES_NO_UTF8_ACS;
  }
}

function usableTerm(term: string | undefined): string {
  if (!term || term === 'dumb' || term === 'unknown') return 'xterm';
  return term;
}

/** Leaves the terminal as it was: normal buffer, cursor shown, no mouse, input back in cooked mode. */
export function closeScreen(screen: blessed.Widgets.Screen): void {
  const program = screen.program;
  try {
    program.clear();
    program.showCursor();
    program.normalBuffer();
    screen.destroy();
  } catch {
    // a terminal that went away cannot be restored; nothing to do
  }
  const input = program.input as NodeJS.ReadStream;
  if (input.isTTY && typeof input.setRawMode === 'function') input.setRawMode(false);
  input.pause?.();
}
