// Reads tmux's `capture-pane -e -p` output cell by cell: each visible character with the colours it is drawn in.
export type Colour = 'default' | number | `#${string}`;

export interface Cell {
  row: number;
  col: number;
  ch: string;
  fg: Colour;
  bg: Colour;
  inverse: boolean;
}

/** Every non-space character of the capture with its foreground, background and inverse attribute. */
export function cells(capture: string): Cell[] {
  const out: Cell[] = [];
  let fg: Colour = 'default';
  let bg: Colour = 'default';
  let inverse = false;
  capture.split('\n').forEach((line, row) => {
    let col = 0;
    for (let i = 0; i < line.length; ) {
      if (line[i] === '\x1b') {
        const m = /^\x1b\[([0-9;:]*)m/.exec(line.slice(i));
        if (m) {
          const p = m[1] === '' ? [0] : m[1]!.split(/[;:]/).map(Number);
          for (let k = 0; k < p.length; k++) {
            const n = p[k]!;
            if (n === 0) {
              fg = bg = 'default';
              inverse = false;
            } else if (n === 7) inverse = true;
            else if (n === 27) inverse = false;
            else if (n >= 30 && n <= 37) fg = n - 30;
            else if (n >= 90 && n <= 97) fg = n - 90 + 8;
            else if (n === 39) fg = 'default';
            else if (n >= 40 && n <= 47) bg = n - 40;
            else if (n >= 100 && n <= 107) bg = n - 100 + 8;
            else if (n === 49) bg = 'default';
            else if (n === 38 || n === 48) {
              const indexed = p[k + 1] === 5;
              const c: Colour = indexed ? p[k + 2]! : `#${[p[k + 2], p[k + 3], p[k + 4]].map((x) => (x ?? 0).toString(16).padStart(2, '0')).join('')}`;
              k += indexed ? 2 : 4;
              if (n === 38) fg = c;
              else bg = c;
            }
          }
          i += m[0].length;
          continue;
        }
        const other = /^\x1b(\[[0-9;?]*[A-Za-z]|[()][0-9A-Za-z]|.)/.exec(line.slice(i));
        i += other ? other[0].length : 1;
        continue;
      }
      const ch = line[i]!;
      if (ch !== ' ') out.push({ row, col, ch, fg, bg, inverse });
      col++;
      i++;
    }
  });
  return out;
}

const BLACK = new Set<Colour>([0, 8, 16, '#000000']);
const WHITE = new Set<Colour>([7, 15, 231, '#ffffff']);

/** Cells drawn black or white on the terminal's own background: unreadable on a dark or on a light terminal. */
export function unreadable(capture: string): Cell[] {
  return cells(capture).filter((c) => !c.inverse && c.bg === 'default' && (BLACK.has(c.fg) || WHITE.has(c.fg)));
}
