// A report event as plain text: figures, then a bar chart scaled to the widest value. Shared by the text, plain and full-screen screens.
import type { ReportBar, ReportFigure, RunnerEvent } from '../core/events.js';
import { formatBytes } from './sizes.js';

type Report = Extract<RunnerEvent, { event: 'report' }>;

function value(v: number | string, unit?: 'bytes' | 'count'): string {
  if (typeof v === 'string') return v;
  return unit === 'bytes' ? formatBytes(v) : v.toLocaleString('en-US');
}

export function formatFigures(figures: ReportFigure[]): string[] {
  const w = Math.max(0, ...figures.map((f) => f.label.length));
  return figures.map((f) => `${f.label.padEnd(w)}  ${value(f.value, f.unit)}`);
}

/** One line per bar: label, a bar of `width` cells at most, the value. */
export function formatBars(bars: ReportBar[], unit: 'bytes' | 'count', width = 30): string[] {
  const max = Math.max(0, ...bars.map((b) => b.value));
  const lw = Math.max(0, ...bars.map((b) => b.label.length));
  return bars.map((b) => {
    const cells = max > 0 ? Math.round((b.value / max) * width) : 0;
    const bar = '#'.repeat(b.value > 0 ? Math.max(1, cells) : 0).padEnd(width, '.');
    return `${b.label.padEnd(lw)} ${bar} ${value(b.value, unit)}`;
  });
}

export function formatReport(e: Report, width = 30): string {
  return [...formatFigures(e.figures), ...(e.bars.length ? ['', ...formatBars(e.bars, e.unit, width)] : [])].join('\n');
}
