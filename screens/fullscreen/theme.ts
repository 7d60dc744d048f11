// Colours and words of the full-screen app. NO_COLOR turns every colour off; meaning never rests on colour alone.
// Text is never black or white on the terminal's background (unreadable on dark or light ones): only the six hues and the default.
import blessed from 'blessed';

export type Colour = 'green' | 'red' | 'yellow' | 'cyan' | 'blue' | 'magenta' | 'gray';

export interface Theme {
  colour: boolean;
  /** Escaped text in a colour (blessed tags), or just escaped text without colour. */
  fg(c: Colour, text: string): string;
  bold(text: string): string;
  /** Style for borders, selection and bars (no colours under NO_COLOR; inverse video for the selection). */
  border: { fg?: string };
  selected: { fg?: string; bg?: string; inverse?: boolean; bold?: boolean };
  /** `text` cut to `width` cells with an ellipsis ('…', or '~' when the locale is not UTF-8). */
  cut(text: string, width: number): string;
}

export function esc(text: string): string {
  return blessed.escape(text);
}

export function makeTheme(env: NodeJS.ProcessEnv = process.env): Theme {
  const colour = env.NO_COLOR === undefined || env.NO_COLOR === '';
  const ellipsis = /utf-?8/i.test(env.LC_ALL || env.LC_CTYPE || env.LANG || '') ? '…' : '~';
  return {
    cut: (text, width) => (text.length > width ? `${text.slice(0, Math.max(0, width - 1))}${ellipsis}` : text),
    colour,
    // gray is the terminal's own text colour: blessed turns grey into black (SGR 30) on 8-colour TERMs (xterm, screen, linux)
    fg: (c, text) => (colour && c !== 'gray' ? `{${c}-fg}${esc(text)}{/${c}-fg}` : esc(text)),
    bold: (text) => `{bold}${esc(text)}{/bold}`,
    border: colour ? { fg: 'cyan' } : {},
    selected: colour ? { fg: 'black', bg: 'cyan', bold: true } : { inverse: true, bold: true },
  };
}

export type ViewStatus = 'pending' | 'checking' | 'needs action' | 'applying' | 'verified' | 'failed' | 'skipped' | 'planned' | 'paused';

const STATUS_COLOUR: Record<ViewStatus, Colour | undefined> = {
  pending: 'gray',
  checking: 'cyan',
  'needs action': 'yellow',
  applying: 'magenta',
  verified: 'green',
  failed: 'red',
  skipped: 'gray',
  planned: 'yellow',
  paused: 'yellow',
};

const STATUS_MARK: Record<ViewStatus, string> = {
  pending: ' ',
  checking: '>',
  'needs action': '!',
  applying: '>',
  verified: '+',
  failed: 'x',
  skipped: '-',
  planned: '~',
  paused: '=',
};

export const STATUS_WIDTH = 15;

export function statusTag(t: Theme, s: ViewStatus): string {
  const word = `${STATUS_MARK[s]} ${s}`.padEnd(STATUS_WIDTH);
  const c = STATUS_COLOUR[s];
  return c ? t.fg(c, word) : esc(word);
}

/** Colours a plan or diff as text: added lines green, removed red, hunks cyan, commands and SQL bold. */
export function colourPlan(t: Theme, text: string): string {
  return text
    .split('\n')
    .map((line) => {
      if (line.startsWith('+++') || line.startsWith('---')) return t.bold(line);
      if (line.startsWith('+')) return t.fg('green', line);
      if (line.startsWith('-- ')) return t.fg('gray', line);
      if (line.startsWith('-')) return t.fg('red', line);
      if (line.startsWith('@@')) return t.fg('cyan', line);
      if (line.startsWith('$ ') || line.startsWith('SQL')) return t.bold(line);
      if (line.startsWith('# ')) return t.fg('gray', line);
      return esc(line);
    })
    .join('\n');
}

/** "[#####.....]  45%" in `width` cells; an unknown total shows only the count. */
export function bar(done: number, total: number | undefined, width: number): string {
  if (!total || total <= 0) return `[${'?'.repeat(Math.max(0, width - 2))}]`;
  const frac = Math.max(0, Math.min(1, done / total));
  const inner = Math.max(1, width - 2);
  const full = Math.round(frac * inner);
  return `[${'#'.repeat(full)}${'.'.repeat(inner - full)}] ${String(Math.floor(frac * 100)).padStart(3)}%`;
}

export function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return `${h ? `${h}:` : ''}${String(m).padStart(h ? 2 : 1, '0')}:${String(sec).padStart(2, '0')}`;
}

/** Columns a tagged text takes on screen (blessed tags take none; escaped braces take one). */
export function shownLength(text: string): number {
  return text.replace(/\{(open|close)\}/g, '.').replace(/\{\/?[a-z-]+\}/g, '').length;
}

/**
 * Wraps tagged text at spaces to `width` columns: blessed looks back only 10 columns for a space and otherwise cuts the word
 * ("postgr esql://"). A word longer than a line is cut after a '/', '-' or '.' where it can be, and only then anywhere.
 */
export function wrapWords(text: string, width: number): string {
  if (width < 12) return text;
  return text.split('\n').map((line) => (shownLength(line) <= width ? line : wrapLine(line, width))).join('\n');
}

function wrapLine(line: string, width: number): string {
  const out: string[] = [];
  let cur = '';
  let len = 0;
  const indent = /^ */.exec(line)![0];
  for (let word of line.slice(indent.length).split(' ')) {
    let wl = shownLength(word);
    if (len && len + 1 + wl > width) {
      out.push(cur);
      cur = '';
      len = 0;
    }
    // a word longer than a whole line (a path, a URL): cut it where it reads best; words with tags inside are left to blessed
    while (wl > width && !/[{}]/.test(word)) {
      const room = width - len - (len ? 1 : 0);
      const cutAt = Math.max(...['/', '-', '.', ','].map((c) => word.lastIndexOf(c, room - 1))) + 1;
      const at = cutAt > room / 3 ? cutAt : room;
      out.push(len ? `${cur} ${word.slice(0, at)}` : word.slice(0, at));
      cur = '';
      len = 0;
      word = word.slice(at);
      wl = word.length;
    }
    cur = len ? `${cur} ${word}` : `${indent}${word}`;
    len += (len ? 1 : indent.length) + wl;
  }
  out.push(cur);
  return out.join('\n');
}
