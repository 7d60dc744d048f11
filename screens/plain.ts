// The line-by-line mode: renders runner events with @clack/prompts, and asks through clack's prompts.
import * as p from '@clack/prompts';
import { WizardError } from '../src/core/errors.js';
import type { RunnerEvent } from '../src/core/events.js';
import { formatPlan } from '../src/core/plan-text.js';
import { reviewOutline } from '../src/core/review.js';
import type { Prompter } from '../src/core/prompter.js';
import { formatReport } from '../src/maintain/report-text.js';

/** The plan the sink printed last: a confirm that would show the same text again does not. */
let lastPlan = '';

export function plainSink(): (e: RunnerEvent) => void {
  const titles = new Map<string, string>();
  /** Steps whose plan the review showed: not printed again when they run. */
  const reviewed = new Set<string>();
  let lastProgress = 0;
  const shown = new Set<string>();
  let dryRun = false;
  /** The last step that failed: the closing line points at it instead of repeating its error. */
  let failed: { title: string; message: string } | undefined;
  return (e) => {
    switch (e.event) {
      case 'flow':
        dryRun = e.dryRun;
        for (const s of e.steps) titles.set(s.id, s.title);
        p.intro(`${e.title}${e.dryRun ? ' (dry run: nothing will be changed)' : ''}`);
        break;
      case 'step-start':
        p.log.step(`${e.title}\n${e.why}`);
        break;
      case 'review':
        if (dryRun) p.note(reviewOutline(e.steps), 'The plan a real run asks you to approve once');
        else for (const s of e.steps) if (!s.own) reviewed.add(s.id);
        break;
      case 'plan':
        if (!reviewed.has(e.id)) p.note((lastPlan = formatPlan(e.actions)), 'What this step will do');
        break;
      case 'log':
        (e.level === 'error' ? p.log.error : e.level === 'warn' ? p.log.warn : p.log.info)(e.message);
        break;
      case 'progress': {
        // at most a line a second; a label that finished before its first line says nothing (no wall of "table: 100%")
        const now = Date.now();
        const key = `${e.id}\0${e.label}`;
        const finished = e.total !== undefined && e.done >= e.total;
        if (finished ? !shown.has(key) : now - lastProgress < 1000) break;
        lastProgress = now;
        shown.add(key);
        p.log.message(`${e.label}: ${e.total ? `${Math.floor((100 * e.done) / e.total)}% (${e.done}/${e.total})` : e.done}${e.detail ? ` ${e.detail}` : ''}`);
        break;
      }
      case 'step': {
        const t = titles.get(e.id) ?? e.id;
        if (e.status === 'failed') failed = { title: t, message: e.message };
        if (e.status === 'failed') p.log.error(`${t}: ${e.message}${e.hint ? `\nWhat to do: ${e.hint}` : ''}`);
        else if (e.status === 'skipped') p.log.warn(`${t}: skipped. ${e.message}`);
        else if (e.status === 'planned') p.log.info(`${t}: would change the system. ${e.message}`);
        else p.log.success(`${t}: ${e.status === 'applied' ? 'applied and verified' : 'done'}. ${e.message}`);
        break;
      }
      case 'done':
        if (e.ok) p.outro(`${e.message}${e.hint ? `\n  Next: ${e.hint}` : ''}`);
        else if (failed && e.message.includes(failed.message)) p.cancel(`Stopped at "${failed.title}": its error and what to do are above.`);
        else p.cancel(`${e.message}${e.hint ? `\n  What to do: ${e.hint}` : ''}`);
        break;
      case 'finding':
        (e.fixed ? p.log.success : p.log.warn)(`${e.fixed ? 'Fixed' : 'Not fixed'}: ${e.title}\nEvidence: ${e.evidence}\nCause: ${e.cause}\nFix: ${e.fix}${e.needsSynapseStopped ? ' (with Synapse stopped)' : ''}`);
        break;
      case 'report':
        p.note(formatReport(e), e.title);
        break;
      case 'check':
        break;
    }
  };
}

function unwrap<T>(v: T | symbol): Exclude<T, symbol> {
  if (p.isCancel(v) || typeof v === 'symbol') throw new WizardError('CANCELLED', 'Cancelled.');
  return v as Exclude<T, symbol>;
}

export function clackPrompter(): Prompter {
  const validate = (f?: (v: string) => string | undefined) => (f ? (v: string | undefined) => f(v ?? '') : undefined);
  return {
    interactive: true,
    async confirm(q) {
      if (q.details && q.details !== lastPlan) p.note(q.details, 'Will change');
      lastPlan = '';
      return unwrap(await p.confirm({ message: q.message, initialValue: q.initial ?? true }));
    },
    async text(q) {
      return unwrap(await p.text({ message: q.message, initialValue: q.initial, placeholder: q.placeholder, validate: validate(q.validate) }));
    },
    async password(q) {
      return unwrap(await p.password({ message: q.message, validate: validate(q.validate) }));
    },
    async select(q) {
      const options = q.options.map((o) => ({ value: o.value, label: o.label, hint: o.hint })) as Parameters<typeof p.select<typeof q.options[number]['value']>>[0]['options'];
      return unwrap(await p.select({ message: q.message, options, initialValue: q.initial }));
    },
  };
}
