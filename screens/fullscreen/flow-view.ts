// The flow screen: steps with their status on the left, the current step (why, plan, live log) on the right, progress bars, help bar.
import blessed from 'blessed';
import type { RunnerEvent } from '../../src/core/events.js';
import type { Key } from './keys.js';
import { progressLine, reportLines, stepText, type Progress, type StepView } from './step-text.js';
import { clock, esc, shownLength, STATUS_WIDTH, statusTag, wrapWords, type Theme, type ViewStatus } from './theme.js';
import { MIN_COLUMNS, MIN_ROWS } from './terminal.js';

/** The step list's width: 40 columns at 80, up to 56 on wide terminals. */
function leftWidth(screenWidth: number): number {
  return Math.max(40, Math.min(56, Math.floor(screenWidth * 0.4)));
}
const MAX_LOG = 500;

const DRAW_MS = 40;

export class FlowView {
  private steps: StepView[] = [];
  private current?: string;
  private viewed?: string;
  private follow = true;
  private title = '';
  private dryRun = false;
  private started = Date.now();
  private notice = '';
  private progress = new Map<string, Progress>();
  private readonly header: blessed.Widgets.BoxElement;
  private readonly list: blessed.Widgets.BoxElement;
  private readonly detail: blessed.Widgets.BoxElement;
  private readonly bars: blessed.Widgets.BoxElement;
  private readonly help: blessed.Widgets.BoxElement;
  /** Shown once the flow has ended: how it ended and the keys to go on; the steps stay browsable above it. */
  private readonly end: blessed.Widgets.BoxElement;
  private endLines: string[] = [];
  private endKeys = '';
  private ended?: number;
  private readonly timer: NodeJS.Timeout;
  private readonly onResize = () => this.draw();
  done?: { ok: boolean; message: string; hint?: string };

  /** Log lines that belong to no step (a command without steps, or before the flow starts). */
  private general: string[] = [];
  private reserved = 0;
  private label = '';
  /** The detail pane holds more than it shows (its label says which lines; the help bar says PgUp/PgDn). */
  private scrolls = false;
  private leftCols = 40;
  /** The detail pane follows its end (live log) until the admin scrolls up. */
  private pinned = true;
  private pendingDraw?: NodeJS.Timeout;

  constructor(private readonly screen: blessed.Widgets.Screen, private readonly t: Theme, title = '') {
    this.title = title;
    const border = { type: 'line' as const };
    this.header = blessed.box({ parent: screen, top: 0, left: 0, right: 0, height: 1, tags: true });
    this.list = blessed.box({ parent: screen, top: 1, left: 0, width: 40, bottom: 1, border, label: ' Steps ', tags: true, wrap: false, scrollable: true, style: { border: t.border } });
    this.detail = blessed.box({
      parent: screen, top: 1, left: 40, right: 0, bottom: 1, border, tags: true, scrollable: true, alwaysScroll: true,
      scrollbar: { ch: ' ', style: { inverse: true } }, style: { border: t.border },
    });
    this.bars = blessed.box({ parent: screen, left: 40, right: 0, bottom: 1, height: 3, border, label: ' Progress ', tags: true, wrap: false, hidden: true, style: { border: t.border } });
    this.help = blessed.box({ parent: screen, bottom: 0, left: 0, right: 0, height: 1, tags: true });
    this.end = blessed.box({ parent: screen, bottom: 1, left: 0, right: 0, height: 3, border, label: ' Result ', tags: true, hidden: true, style: { border: t.border } });
    this.timer = setInterval(() => this.drawHeader(true), 1000);
    this.timer.unref();
    screen.on('resize', this.onResize);
    this.draw();
  }

  destroy(): void {
    clearInterval(this.timer);
    clearTimeout(this.pendingDraw);
    this.screen.removeListener('resize', this.onResize);
    for (const w of [this.header, this.list, this.detail, this.bars, this.help, this.end]) w.destroy();
  }

  /** Renders one runner event; holds no step logic, only what the event says. */
  emit(e: RunnerEvent): void {
    switch (e.event) {
      case 'flow':
        this.steps = e.steps.map((s) => ({ id: s.id, title: s.title, status: 'pending', log: [] }));
        this.title = e.title;
        this.dryRun = e.dryRun;
        this.started = Date.now();
        this.ended = undefined;
        this.done = undefined;
        this.current = this.viewed = undefined;
        this.progress.clear();
        break;
      case 'step-start':
        this.current = e.id;
        this.set(e.id, { status: 'checking', why: e.why, title: e.title });
        break;
      case 'check':
        this.set(e.id, { check: e.message, status: e.status === 'needed' ? 'needs action' : e.status === 'blocked' ? 'failed' : 'checking' });
        break;
      case 'plan':
        this.set(e.id, { plan: e.actions });
        break;
      case 'review':
        // before the run: what each step will change; after a dry run the steps already show it
        if (!this.dryRun) for (const item of e.steps) this.set(item.id, { plan: item.actions, status: 'needs action' });
        break;
      case 'step-apply':
        this.set(e.id, { status: 'applying' });
        break;
      case 'log': {
        const line = e.level === 'error' ? this.t.fg('red', e.message) : e.level === 'warn' ? this.t.fg('yellow', e.message) : esc(e.message);
        const log = this.find(e.id ?? this.current)?.log ?? this.general;
        log.push(line);
        if (log.length > MAX_LOG) log.splice(0, log.length - MAX_LOG);
        break;
      }
      case 'progress': {
        const key = `${e.id}\0${e.label}`;
        const old = this.progress.get(key);
        this.progress.set(key, { label: e.label, done: e.done, total: e.total, detail: e.detail, start: old?.start ?? Date.now() });
        break;
      }
      case 'step': {
        const status: ViewStatus = e.status === 'done' || e.status === 'applied' ? 'verified' : e.status === 'planned' ? 'planned' : e.status === 'skipped' ? 'skipped' : e.code === 'CANCELLED' ? 'paused' : 'failed';
        this.set(e.id, { status, result: { message: e.message, hint: e.hint, failed: e.status === 'failed' } });
        for (const k of [...this.progress.keys()]) if (k.startsWith(`${e.id}\0`)) this.progress.delete(k);
        break;
      }
      case 'finding':
        if (!this.find(e.id)) this.steps.push({ id: e.id, title: e.title, status: e.fixed ? 'verified' : 'failed', log: [] });
        this.set(e.id, { finding: { cause: e.cause, evidence: e.evidence, fix: e.fix, fixed: e.fixed, needsSynapseStopped: e.needsSynapseStopped } });
        break;
      case 'report': {
        const log = this.find(e.id)?.log ?? this.general;
        log.push('', this.t.bold(e.title), ...reportLines(this.t, e, (this.screen.width as number) - this.leftCols));
        break;
      }
      case 'done':
        this.done = { ok: e.ok, message: e.message, hint: e.hint };
        this.ended ??= Date.now();
        break;
    }
    // a port can send hundreds of progress and log lines a second: draw those at most every DRAW_MS
    if (e.event === 'progress' || e.event === 'log') this.drawSoon();
    else this.draw();
  }

  private drawSoon(): void {
    this.pendingDraw ??= setTimeout(() => this.draw(), DRAW_MS);
  }

  /** One plain line per step that ran: its last status and message (for the terminal after the full screen closes). */
  summary(): string[] {
    return this.steps.filter((s) => s.status !== 'pending').map((s) => `  ${s.status.padEnd(12)} ${s.title}${s.result ? `: ${s.result.message}` : ''}`);
  }

  /** Keeps `rows` at the bottom free for a dialog there (0: none). */
  reserve(rows: number): void {
    this.reserved = rows;
    this.draw();
  }

  /** The flow has ended: `lines` (tagged text) say how, `keys` what can be done next; the steps stay browsable. */
  showEnd(lines: string[], keys: string): void {
    this.ended ??= Date.now();
    this.endLines = lines;
    this.endKeys = keys;
    this.notice = '';
    this.end.show();
    this.draw();
  }

  /** Whether a step failed (not paused, not declined): only then is a diagnosis worth offering. */
  get failed(): boolean {
    return this.steps.some((s) => s.status === 'failed');
  }

  /** Whether any step reached a result (a flow that stopped before any did failed on its way in). */
  get anyResult(): boolean {
    return this.steps.some((s) => s.result);
  }

  /** The step that failed and its message, if one did. */
  get failedStep(): { title: string; message: string } | undefined {
    const s = this.steps.find((x) => x.status === 'failed' && x.result);
    return s && { title: s.title, message: s.result!.message };
  }

  setNotice(text: string): void {
    this.notice = text;
    this.draw();
  }

  handleKey(ch: string | undefined, key: Key): void {
    const i = this.steps.findIndex((s) => s.id === (this.viewed ?? this.current));
    const page = Math.max(1, (this.detail.height as number) - 3);
    const view = (id: string) => {
      this.viewed = id;
      this.follow = false;
      this.pinned = true;
    };
    if ((key.name === 'up' || ch === 'k') && i > 0) view(this.steps[i - 1]!.id);
    else if ((key.name === 'down' || ch === 'j') && i < this.steps.length - 1) view(this.steps[i + 1]!.id);
    else if (ch === 'f') this.follow = this.pinned = true;
    else if (key.name === 'pageup' || key.name === 'home') {
      this.pinned = false;
      this.detail.scroll(key.name === 'home' ? -this.detail.getScrollHeight() : -page);
      return void (this.drawScrollLabel(), this.screen.render());
    } else if (key.name === 'pagedown' || ch === ' ' || key.name === 'end') {
      this.detail.scroll(key.name === 'end' ? this.detail.getScrollHeight() : page);
      this.pinned = this.detail.getScrollPerc() >= 100;
      return void (this.drawScrollLabel(), this.screen.render());
    }
    else return;
    this.draw();
  }

  private find(id: string | undefined): StepView | undefined {
    return this.steps.find((s) => s.id === id);
  }

  private set(id: string, patch: Partial<StepView>, redraw = false): void {
    const s = this.find(id);
    if (s) Object.assign(s, patch);
    if (redraw) this.draw();
  }

  private draw(): void {
    clearTimeout(this.pendingDraw);
    this.pendingDraw = undefined;
    this.drawEnd();
    if (this.follow) this.viewed = this.current;
    this.drawHeader(false);
    const stepless = !this.steps.length && (this.general.length > 0 || !!this.done);
    const left = stepless ? 0 : leftWidth(this.screen.width as number);
    this.list.width = left || 40;
    this.list.bottom = 1 + this.reserved;
    if (stepless !== this.list.hidden) this.list.toggle();
    this.detail.left = this.bars.left = this.leftCols = left;
    const width = (left || 40) - 2 - STATUS_WIDTH;
    this.list.setContent(this.steps.map((s) => {
      const title = this.t.cut(s.title, width);
      const line = `${statusTag(this.t, s.status)}${esc(title)}`;
      return s.id === this.viewed ? `{inverse}${line}{/inverse}` : line;
    }).join('\n'));
    const at = this.steps.findIndex((x) => x.id === this.viewed);
    if (at >= 0) this.list.scrollTo(at);
    const s = this.find(this.viewed);
    this.label = s ? s.title : this.title || 'Starting';
    const done = s && s.id === this.current ? this.doneText() : undefined;
    // the pane's inside: borders and the scrollbar column
    this.detail.setContent(wrapWords(s ? stepText(this.t, s, this.dryRun, done) : this.generalText(), (this.detail.width as number) - 3));
    if (this.pinned) this.detail.setScrollPerc(100);
    this.drawScrollLabel();
    this.drawBars();
    const more = this.scrolls ? 'PgUp/PgDn/Home/End: scroll   ' : '';
    const help = !this.end.hidden ? `${more}Up/Down: other steps   ?: keys` : this.done ? '' : `Up/Down: steps   ${more || 'PgUp/PgDn: scroll   '}f: follow   ?: keys   q: pause`;
    this.help.setContent(this.t.fg('gray', this.notice ? `${this.notice}   ${help}` : help));
    this.screen.render();
  }

  private drawHeader(render: boolean): void {
    const { width, height } = this.screen;
    const small = (width as number) < MIN_COLUMNS || (height as number) < MIN_ROWS ? this.t.fg('red', `  window ${width}x${height} is below ${MIN_COLUMNS}x${MIN_ROWS}: enlarge it`) : '';
    const state = this.done ? (this.done.ok ? this.t.fg('green', 'finished') : this.t.fg('red', 'stopped')) : 'running';
    const took = this.ended === undefined ? `elapsed ${clock(Date.now() - this.started)}` : `took ${clock(this.ended - this.started)}`;
    this.header.setContent(` ${this.t.bold(this.title || 'synapse-pg')}${this.dryRun ? this.t.fg('yellow', '  (dry run: nothing will be changed)') : ''}  ${state}  ${took}${small}`);
    this.drawBars();
    if (render) this.screen.render();
  }

  /** The detail pane's title, and where its text is when it is longer than the pane: "lines 1-20 of 57, PgUp/PgDn". */
  private drawScrollLabel(): void {
    const inner = (this.detail.height as number) - 2;
    const total = this.detail.getScrollHeight();
    const top = (this.detail as unknown as { childBase: number }).childBase ?? 0;
    this.scrolls = total > inner;
    const end = Math.min(total, top + inner);
    const width = this.detail.width as number;
    // the label sits between the corner, a line and a space on each side: it has width - 6 columns
    const where = !this.scrolls ? '' : width >= 60 ? ` [lines ${top + 1}-${end} of ${total}]` : ` [${top + 1}-${end}/${total}]`;
    const room = Math.max(0, width - 6 - where.length);
    this.detail.setLabel(` ${room >= 8 ? this.t.cut(this.label, room) : ''}${where} `);
  }

  private drawEnd(): void {
    if (this.end.hidden) return;
    const inner = Math.max(20, (this.screen.width as number) - 4);
    const rows = [...this.endLines, this.endKeys].reduce((n, l) => n + Math.max(1, Math.ceil(shownLength(l) / inner)), 0);
    const height = Math.min(rows + 2, Math.max(3, Math.floor((this.screen.height as number) / 2)));
    this.end.height = height;
    this.end.setContent(wrapWords([...this.endLines, this.t.fg('cyan', this.endKeys)].join('\n'), inner));
    this.reserved = height;
  }

  /** How the flow ended, in the detail pane: all of it before the result panel shows; then only a success's next steps. */
  private doneText(): { ok: boolean; message: string; hint?: string } | undefined {
    if (!this.done) return undefined;
    if (this.end.hidden) return this.done;
    return this.done.ok && this.done.hint ? { ok: true, message: '', hint: this.done.hint } : undefined;
  }

  private generalText(): string {
    const out = [...this.general];
    const done = this.doneText();
    if (done) out.push(...(done.message ? ['', this.t.fg(done.ok ? 'green' : 'red', done.message)] : []), ...(done.hint ? ['', `${this.t.bold(done.ok ? 'Next:' : 'What to do:')} ${esc(done.hint)}`] : []));
    else if (this.steps.length) out.push(this.t.fg('gray', 'Checking the steps first (read-only): nothing changes until they can all go ahead.'));
    return out.join('\n');
  }

  private drawBars(): void {
    const all = [...this.progress.entries()].filter(([k]) => k.startsWith(`${this.current}\0`)).map(([, p]) => p);
    const active = all.filter((p) => p.total === undefined || p.done < p.total).slice(-8);
    const lines = active.map((p) => progressLine(p, Date.now()));
    // A step that reports its own overall figure ("all tables") needs no sum of its labels.
    if (active.length && all.length > 1 && all.every((p) => p.total) && !all.some((p) => p.label.startsWith('all '))) {
      const sum = (f: (p: Progress) => number) => all.reduce((n, p) => n + f(p), 0);
      lines.push(progressLine({ label: `all ${all.length}`, done: sum((p) => p.done), total: sum((p) => p.total!), start: Math.min(...all.map((p) => p.start)) }, Date.now()));
    }
    if (!lines.length) {
      this.bars.hide();
      this.detail.bottom = 1 + this.reserved;
      return;
    }
    const room = Math.max(20, (this.screen.width as number) - this.leftCols - 2);
    this.bars.setContent(lines.map((line) => esc(this.t.cut(line, room))).join('\n'));
    this.bars.height = lines.length + 2;
    this.bars.bottom = 1 + this.reserved;
    this.bars.show();
    this.detail.bottom = lines.length + 3 + this.reserved;
  }
}
