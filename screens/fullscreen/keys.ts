// One keypress dispatcher: Ctrl-C always pauses; every other key goes to the top-most view or dialog.
import type blessed from 'blessed';

export type Key = blessed.Widgets.Events.IKeyEventArg;
export type KeyHandler = (ch: string | undefined, key: Key) => void;

export class KeyRouter {
  private readonly stack: KeyHandler[] = [];

  constructor(screen: blessed.Widgets.Screen, private readonly onInterrupt: () => void) {
    screen.on('keypress', (ch: string | undefined, key: Key) => {
      if (key?.full === 'C-c') return this.onInterrupt();
      this.stack.at(-1)?.(ch, key);
    });
  }

  /** Makes `h` receive keys until the returned function is called. */
  push(h: KeyHandler): () => void {
    this.stack.push(h);
    return () => {
      const i = this.stack.lastIndexOf(h);
      if (i >= 0) this.stack.splice(i, 1);
    };
  }
}

/** A printable character typed into an input (not a control key or an escape sequence). */
export function printable(ch: string | undefined, key: Key): ch is string {
  return typeof ch === 'string' && ch.length === 1 && ch >= ' ' && ch !== '\x7f' && !key?.ctrl && !key?.meta;
}
