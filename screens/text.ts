// Plain text lines for logs and pipes (no TTY, --yes without --json): one line per event, no colours.
import type { RunnerEvent } from '../src/core/events.js';
import { formatPlan } from '../src/core/plan-text.js';
import { reviewOutline } from '../src/core/review.js';
import { formatReport } from '../src/maintain/report-text.js';

export function textSink(out: NodeJS.WritableStream = process.stdout): (e: RunnerEvent) => void {
  const w = (s: string) => out.write(s + '\n');
  // One line per tenth of each progress label (a copy reports every few thousand rows).
  const decile = new Map<string, number>();
  return (e) => {
    switch (e.event) {
      case 'flow':
        w(`== ${e.title}${e.dryRun ? ' (dry run: nothing will be changed)' : ''}`);
        break;
      case 'step-start':
        w(`-- ${e.title}`);
        break;
      case 'plan':
        w(formatPlan(e.actions).replace(/^/gm, '   | '));
        break;
      case 'log':
        w(`   ${e.level === 'info' ? '' : e.level.toUpperCase() + ': '}${e.message}`);
        break;
      case 'progress': {
        const key = `${e.id}\0${e.label}`;
        const d = e.total ? Math.floor((10 * e.done) / e.total) : undefined;
        if (d !== undefined && decile.get(key) === d) break;
        if (d !== undefined) decile.set(key, d);
        w(`   ${e.label}: ${e.done}${e.total ? `/${e.total}` : ''}${e.detail ? ` ${e.detail}` : ''}`);
        break;
      }
      case 'step':
        w(`   [${e.status}] ${e.message}${e.hint ? `\n   What to do: ${e.hint}` : ''}`);
        break;
      case 'done':
        w(`${e.ok ? 'OK' : 'FAILED'}: ${e.message}${e.hint ? `\n${e.ok ? 'Next' : 'What to do'}: ${e.hint}` : ''}`);
        break;
      case 'finding':
        w(`[${e.fixed ? 'fixed' : 'NOT FIXED'}] ${e.title}\n   Evidence: ${e.evidence}\n   Fix: ${e.fix}`);
        break;
      case 'report':
        w(`   ${e.title}\n${formatReport(e).replace(/^/gm, '   | ')}`);
        break;
      case 'review':
        // a dry run's closing summary: what a real run asks to approve once (the plans are printed above)
        w(`== The plan a real run asks you to approve once:\n${reviewOutline(e.steps).replace(/^/gm, '   ')}`);
        break;
      case 'check':
        break;
    }
  };
}
