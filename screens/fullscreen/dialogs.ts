// The full-screen Prompter: confirm (showing exactly what will change), text and masked password inputs validated as typed, and lists.
import blessed from 'blessed';
import { WizardError } from '../../src/core/errors.js';
import type { ConfirmQuestion, Prompter, SelectQuestion, TextQuestion } from '../../src/core/prompter.js';
import { printable, type Key, type KeyRouter } from './keys.js';
import { colourPlan, esc, wrapWords, type Theme } from './theme.js';

export interface DialogHost {
  screen: blessed.Widgets.Screen;
  router: KeyRouter;
  theme: Theme;
  signal: AbortSignal;
  /** Escape in an input: the same safe pause as Ctrl-C. */
  pause: () => void;
  /** Told how many rows a dialog at the bottom covers (0 when it closes), so the view above can make room. */
  reserveBottom?: (rows: number) => void;
}

export interface FullscreenPrompter extends Prompter {
  /** True while a question waits for an answer. */
  readonly asking: boolean;
  /** select(), optionally at the bottom of the screen (the end-of-flow choice, so the result stays visible). */
  choose<T extends string>(q: SelectQuestion<T>, atBottom: boolean): Promise<T>;
}

type Settle<T> = { resolve: (v: T) => void; reject: (e: unknown) => void };

/** Runs one modal dialog: keys go to `onKey` until it settles; Ctrl-C/abort rejects with CANCELLED. */
function modal<T>(host: DialogHost, box: blessed.Widgets.BoxElement, onKey: (ch: string | undefined, key: Key, s: Settle<T>) => void, state: { asking: number }): Promise<T> {
  const signal = host.signal;
  if (signal.aborted) {
    box.destroy();
    return Promise.reject(cancelled());
  }
  state.asking++;
  return new Promise<T>((resolve, reject) => {
    let pop = () => {};
    const finish = () => {
      pop();
      signal.removeEventListener('abort', onAbort);
      box.destroy();
      state.asking--;
      host.screen.render();
    };
    const s: Settle<T> = { resolve: (v) => (finish(), resolve(v)), reject: (e) => (finish(), reject(e)) };
    const onAbort = () => s.reject(cancelled());
    signal.addEventListener('abort', onAbort);
    pop = host.router.push((ch, key) => onKey(ch, key, s));
    box.focus();
    host.screen.render();
  });
}

function cancelled(): WizardError {
  return new WizardError('CANCELLED', 'Stopped while a question was open.');
}

/** A bordered dialog, centred, or at the bottom above the help bar so the flow stays readable. */
function frame(host: DialogHost, label: string, height: number | string, atBottom = false): blessed.Widgets.BoxElement {
  return blessed.box({
    parent: host.screen,
    ...(atBottom ? { bottom: 1 } : { top: 'center' }),
    left: 'center',
    width: '90%',
    height,
    border: { type: 'line' },
    label: ` ${label} `,
    tags: true,
    style: { border: host.theme.border },
  });
}

function helpLine(host: DialogHost, parent: blessed.Widgets.BoxElement, text: string): void {
  blessed.box({ parent, bottom: 0, left: 1, right: 1, height: 1, tags: true, content: host.theme.fg('gray', text) });
}

/** Every key of the screen below, in a box; any key closes it. */
export function showKeys(host: DialogHost, lines: string[]): Promise<void> {
  const box = frame(host, 'Keys (any key closes)', Math.min(lines.length + 2, (host.screen.height as number) - 2));
  box.setContent(lines.map((l) => ` ${esc(l)}`).join('\n'));
  return modal<void>(host, box, (_ch, _key, s) => s.resolve(), { asking: 0 }).catch(() => undefined);
}

export function fullscreenPrompter(host: DialogHost): FullscreenPrompter {
  const state = { asking: 0 };
  const { theme: t } = host;
  const p: FullscreenPrompter = {
    interactive: true,
    get asking() {
      return state.asking > 0;
    },

    confirm(q: ConfirmQuestion) {
      const inner = Math.max(20, Math.floor((host.screen.width as number) * 0.9) - 4);
      const text = `${q.message}\n\n.\n${q.details ?? ''}`;
      const lines = text.split('\n').reduce((n, l) => n + Math.max(1, Math.ceil(l.length / inner)), 0);
      const box = frame(host, 'Confirm', Math.min(lines + 6, Math.floor((host.screen.height as number) * 0.85)));
      const body = blessed.box({
        parent: box, top: 0, left: 1, right: 1, bottom: 3, tags: true, scrollable: true, alwaysScroll: true,
        scrollbar: { ch: ' ', style: { inverse: true } },
        content: wrapWords(`${t.bold(q.message)}${q.details ? `\n\n${t.fg('yellow', 'This will change exactly:')}\n${colourPlan(t, q.details)}` : ''}`, inner - 1),
      });
      const buttons = blessed.box({ parent: box, bottom: 1, left: 1, right: 1, height: 1, tags: true });
      let yes = q.initial ?? true;
      const draw = () => {
        const b = (label: string, on: boolean) => (on ? `{inverse}${esc(` ${label} `)}{/inverse}` : esc(` ${label} `));
        buttons.setContent(`${b('Yes, do it (y)', yes)}   ${b('No, stop here (n)', !yes)}`);
      };
      draw();
      helpLine(host, box, 'y/n: answer   Up/Down/PgUp/PgDn/Home/End: scroll   Esc/q: pause');
      // where the text is when it is longer than the box, so nothing is cut without a sign
      const where = () => {
        const total = body.getScrollHeight();
        const shown = body.height as number;
        const top = (body as unknown as { childBase: number }).childBase ?? 0;
        box.setLabel(total > shown ? ` Confirm [lines ${top + 1}-${Math.min(total, top + shown)} of ${total}${top + shown < total ? ', more below: PgDn' : ''}] ` : ' Confirm ');
      };
      where();
      return modal<boolean>(host, box, (ch, key, s) => {
        const page = Math.max(1, (body.height as number) - 1);
        if (ch === 'y' || ch === 'Y') return answer(true, s);
        if (ch === 'n' || ch === 'N') return answer(false, s);
        if (ch === 'q' || key.name === 'escape') return host.pause();
        if (key.name === 'enter' || key.name === 'return') return answer(yes, s);
        if (key.name === 'left' || key.name === 'right' || key.name === 'tab') {
          yes = !yes;
          draw();
        } else if (key.name === 'up' || ch === 'k') body.scroll(-1);
        else if (key.name === 'down' || ch === 'j') body.scroll(1);
        else if (key.name === 'pageup') body.scroll(-page);
        else if (key.name === 'pagedown' || ch === ' ') body.scroll(page);
        else if (key.name === 'home') body.scroll(-body.getScrollHeight());
        else if (key.name === 'end') body.scroll(body.getScrollHeight());
        where();
        host.screen.render();
      }, state);
      function answer(v: boolean, s: Settle<boolean>) {
        s.resolve(v);
      }
    },

    text(q: TextQuestion) {
      return input(q, false);
    },
    password(q: TextQuestion) {
      return input(q, true);
    },

    select<T extends string>(q: SelectQuestion<T>) {
      return p.choose(q, false);
    },

    choose<T extends string>(q: SelectQuestion<T>, atBottom: boolean) {
      const inner = Math.max(20, Math.floor((host.screen.width as number) * 0.9) - 4);
      const lines = Math.min(10, q.message.split('\n').reduce((n, l) => n + Math.max(1, Math.ceil(l.length / inner)), 0));
      const optionLines = q.options.reduce((n, o) => n + Math.ceil((o.label.length + (o.hint ? o.hint.length + 4 : 0) + 4) / inner), 0);
      const height = Math.min(optionLines + lines + 5, (host.screen.height as number) - 2);
      const box = frame(host, 'Choose', height, atBottom);
      if (atBottom) {
        host.reserveBottom?.(height);
        box.on('destroy', () => host.reserveBottom?.(0));
      }
      blessed.box({ parent: box, top: 0, left: 1, right: 1, height: lines, tags: true, content: wrapWords(t.bold(q.message), inner) });
      const list = blessed.box({ parent: box, top: lines + 1, left: 1, right: 1, bottom: 1, tags: true });
      let i = Math.max(0, q.options.findIndex((o) => o.value === q.initial));
      const draw = () =>
        list.setContent(q.options.map((o, n) => {
          const line = ` ${n + 1}. ${o.label}${o.hint ? `  (${o.hint})` : ''}`;
          return n === i ? `{inverse}${esc(line)}{/inverse}` : esc(line);
        }).join('\n'));
      draw();
      helpLine(host, box, 'Up/Down or 1-9: choose   Enter: select   Esc/q: go back');
      return modal<T>(host, box, (ch, key, s) => {
        if (key.name === 'enter' || key.name === 'return') return s.resolve(q.options[i]!.value);
        if (ch === 'q' || key.name === 'escape') return host.pause();
        if (key.name === 'up' || ch === 'k') i = (i + q.options.length - 1) % q.options.length;
        else if (key.name === 'down' || ch === 'j') i = (i + 1) % q.options.length;
        else if (ch && /^[1-9]$/.test(ch) && Number(ch) <= q.options.length) i = Number(ch) - 1;
        draw();
        host.screen.render();
      }, state);
    },
  };

  function input(q: TextQuestion, masked: boolean): Promise<string> {
    const box = frame(host, masked ? 'Password' : 'Answer', 9);
    blessed.box({ parent: box, top: 0, left: 1, right: 1, height: 2, tags: true, content: t.bold(q.message) });
    const field = blessed.box({ parent: box, top: 2, left: 1, right: 1, height: 1, tags: true });
    const error = blessed.box({ parent: box, top: 4, left: 1, right: 1, height: 1, tags: true });
    let value = q.initial ?? '';
    let touched = false;
    const draw = () => {
      const shown = masked ? '*'.repeat(value.length) : value;
      const visible = shown.length > 60 ? `<${shown.slice(-59)}` : shown;
      field.setContent(`> ${value ? esc(visible) : t.fg('gray', q.placeholder ?? '')}{inverse} {/inverse}`);
      const problem = touched ? q.validate?.(value) : undefined;
      error.setContent(problem ? t.fg('red', problem) : touched && q.validate ? t.fg('green', 'ok') : '');
    };
    draw();
    helpLine(host, box, `Type${masked ? ' (hidden)' : ''}   Backspace: erase   Ctrl-U: clear   Enter: accept   Esc: go back`);
    return modal<string>(host, box, (ch, key, s) => {
      if (key.name === 'enter' || key.name === 'return') {
        touched = true;
        const problem = q.validate?.(value);
        if (!problem) return s.resolve(value);
      } else if (key.name === 'backspace') {
        value = value.slice(0, -1);
        touched = true;
      } else if (key.full === 'C-u') {
        value = '';
      } else if (key.name === 'escape') {
        return host.pause();
      } else if (printable(ch, key)) {
        value += ch;
        touched = true;
      }
      draw();
      host.screen.render();
    }, state);
  }

  return p;
}
