// The main menu: what was detected on this machine, the six tasks with the sensible one first, and a help bar.
import blessed from 'blessed';
import type { Detection, MenuCommand } from '../../src/status/detect.js';
import type { Key, KeyRouter } from './keys.js';
import { detectionLines, menuItems, type MenuItem, type Tone } from './menu-model.js';
import { esc, type Theme } from './theme.js';
import { MIN_COLUMNS, MIN_ROWS } from './terminal.js';

/** 'config': the admin wants to enter a config path; 'keys': show every key. */
export type MenuChoice = MenuCommand | 'quit' | 'config' | 'keys';

export const MENU_KEYS = 'Up/Down: choose   Enter or a letter: start   o: config   ?: keys   q: quit';

const LIST_WIDTH = 44;

export class MenuView {
  private items: MenuItem[] = menuItems(undefined);
  private index = 0;
  private moved = false;
  private detection?: Detection;
  private readonly widgets: blessed.Widgets.BoxElement[];
  private readonly header: blessed.Widgets.BoxElement;
  private readonly found: blessed.Widgets.BoxElement;
  private readonly list: blessed.Widgets.BoxElement;
  private readonly about: blessed.Widgets.BoxElement;
  private readonly onResize = () => this.draw();

  constructor(private readonly screen: blessed.Widgets.Screen, private readonly t: Theme, private readonly version: string) {
    const border = { type: 'line' as const };
    const style = { border: t.border };
    this.header = blessed.box({ parent: screen, top: 0, left: 0, right: 0, height: 1, tags: true });
    this.found = blessed.box({ parent: screen, top: 1, left: 0, right: 0, height: 7, border, label: ' Found on this machine ', tags: true, style });
    this.list = blessed.box({ parent: screen, top: 8, left: 0, width: LIST_WIDTH, bottom: 1, border, label: ' What do you want to do? ', tags: true, style });
    this.about = blessed.box({ parent: screen, top: 8, left: LIST_WIDTH, right: 0, bottom: 1, border, label: ' About ', tags: true, style });
    const help = blessed.box({ parent: screen, bottom: 0, left: 0, right: 0, height: 1, tags: true, content: t.fg('gray', MENU_KEYS) });
    this.widgets = [this.header, this.found, this.list, this.about, help];
    screen.on('resize', this.onResize);
    this.draw();
  }

  setDetection(d: Detection): void {
    const keep = this.items[this.index]?.command;
    this.detection = d;
    this.items = menuItems(d);
    this.index = Math.max(0, this.moved ? this.items.findIndex((i) => i.command === keep) : this.items.findIndex((i) => i.suggested));
    this.draw();
  }

  /** Waits for a choice; keys come through the router until then. */
  choose(router: KeyRouter, signal: AbortSignal): Promise<MenuChoice> {
    return new Promise((resolve) => {
      const settle = (c: MenuChoice) => {
        pop();
        signal.removeEventListener('abort', onAbort);
        resolve(c);
      };
      const onAbort = () => settle('quit');
      const pop = router.push((ch, key) => {
        const c = this.key(ch, key);
        if (c) settle(c);
      });
      if (signal.aborted) return settle('quit');
      signal.addEventListener('abort', onAbort);
    });
  }

  destroy(): void {
    this.screen.removeListener('resize', this.onResize);
    for (const w of this.widgets) w.destroy();
  }

  private key(ch: string | undefined, key: Key): MenuChoice | undefined {
    if (ch === 'q' || key.name === 'escape') return 'quit';
    if (ch === '?') return 'keys';
    if (ch === 'o') return 'config';
    if (key.name === 'enter' || key.name === 'return') return this.items[this.index]!.command;
    const byLetter = this.items.find((i) => i.key === ch);
    if (byLetter) return byLetter.command;
    if (key.name === 'up' || ch === 'k') this.index = (this.index + this.items.length - 1) % this.items.length;
    else if (key.name === 'down' || ch === 'j') this.index = (this.index + 1) % this.items.length;
    else return undefined;
    this.moved = true;
    this.draw();
    return undefined;
  }

  private draw(): void {
    const t = this.t;
    const [cols, rows] = [this.screen.width as number, this.screen.height as number];
    const small = cols < MIN_COLUMNS || rows < MIN_ROWS;
    this.header.setContent(small
      ? t.fg('red', ` ${cols}x${rows} is below ${MIN_COLUMNS}x${MIN_ROWS}: enlarge the window (or quit with q and run synapse-pg --plain)`)
      : ` ${t.bold('synapse-pg')} ${esc(this.version)}: Synapse on PostgreSQL, verified at every step`);
    const tone = (k: Tone, s: string) => (k === 'good' ? t.fg('green', s) : k === 'bad' ? t.fg('red', s) : k === 'warn' ? t.fg('yellow', s) : esc(s));
    const width = Math.max(20, (this.screen.width as number) - 16);
    this.found.setContent(this.detection
      ? detectionLines(this.detection).map(([label, text, k]) => ` ${t.bold(label.padEnd(11))}${tone(k, t.cut(text, width))}`).join('\n')
      : t.fg('gray', ' Looking at the config, Synapse and PostgreSQL...'));
    const listWidth = Math.min(LIST_WIDTH, Math.floor((this.screen.width as number) * 0.45));
    this.list.width = listWidth;
    this.about.left = listWidth;
    this.list.setContent(this.items.map((item, n) => {
      const line = t.cut(` [${item.key}] ${item.label}${item.suggested ? '  (suggested)' : ''}`, listWidth - 2);
      return n === this.index ? `{inverse}${esc(line.padEnd(listWidth - 2))}{/inverse}` : esc(line);
    }).join('\n'));
    const item = this.items[this.index]!;
    this.about.setContent(`${t.bold(item.label)}\n\n${esc(item.description)}${item.suggested ? `\n\n${t.fg('cyan', `Suggested: ${item.suggested}.`)}` : ''}`);
    this.screen.render();
  }
}
