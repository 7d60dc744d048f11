// The runner alone, on a fake system of named facts: order, stop on failure, dry run, resume, confirm, retry, and the events screens draw from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WizardError } from '../src/core/errors.js';
import type { RunnerEvent } from '../src/core/events.js';
import type { Prompter } from '../src/core/prompter.js';
import { runFlow, type RunOptions } from '../src/core/runner.js';
import type { Step } from '../src/core/step.js';

/** The "system": facts that are in place. A step puts its own fact in place; `fails` makes its apply throw. */
interface Sys {
  facts: Set<string>;
  applied: string[];
  fails: Map<string, number>;
}

function fact(id: string, opts: { confirm?: boolean; blocked?: string; needs?: string } = {}): Step<Sys> {
  return {
    id,
    title: `Put ${id} in place`,
    why: `${id} is needed.`,
    async check(sys) {
      if (opts.blocked) return { status: 'blocked', message: opts.blocked, hint: `Fix ${id} by hand.` };
      if (sys.facts.has(id)) return { status: 'done', message: `${id} is in place.` };
      return { status: 'needed', message: `${id} is missing.`, plan: [{ kind: 'note', text: `create ${id}` }], confirm: opts.confirm ? `Create ${id}?` : undefined };
    },
    async apply(sys) {
      const left = sys.fails.get(id) ?? 0;
      if (left > 0) {
        sys.fails.set(id, left - 1);
        throw new WizardError('EXEC', `${id} could not be created`, { hint: `Look at ${id}.` });
      }
      if (opts.needs && !sys.facts.has(opts.needs)) throw new WizardError('INTERNAL', `${id} needs ${opts.needs}`);
      sys.facts.add(id);
      sys.applied.push(id);
      return `Created ${id}.`;
    },
    async verify(sys) {
      return sys.facts.has(id) ? { ok: true, message: `${id} is there.` } : { ok: false, message: `${id} is not there.`, hint: `Create ${id}.` };
    },
  };
}

function answering(answers: boolean[]): Prompter & { asked: string[] } {
  const asked: string[] = [];
  return {
    interactive: true,
    asked,
    async confirm(q) {
      asked.push(q.message);
      return answers.shift() ?? false;
    },
    async text() {
      throw new Error('not asked here');
    },
    async password() {
      throw new Error('not asked here');
    },
    async select() {
      throw new Error('not asked here');
    },
  };
}

function run(steps: Step<Sys>[], sys: Sys, opts: Partial<RunOptions> = {}) {
  const events: RunnerEvent[] = [];
  const result = runFlow(steps, sys, { flowId: 't', title: 'Test flow', dryRun: false, yes: true, prompter: answering([]), emit: (e) => events.push(e), signal: new AbortController().signal, ...opts });
  return result.then((r) => ({ r, events, trace: events.map((e) => ('status' in e ? `${e.event}:${e.id}:${e.status}` : 'id' in e ? `${e.event}:${e.id}` : e.event)) }));
}

const fresh = (...facts: string[]): Sys => ({ facts: new Set(facts), applied: [], fails: new Map() });

test('steps run in order, each announced: checking, needed, applying, verified', async () => {
  const sys = fresh('a');
  const { r, trace, events } = await run([fact('a'), fact('b'), fact('c')], sys);
  assert.equal(r.ok, true);
  assert.deepEqual(sys.applied, ['b', 'c']);
  assert.deepEqual(r.applied, ['b', 'c']);
  assert.deepEqual(trace, [
    'flow:t',
    'step-start:a', 'check:a:done', 'step:a:done',
    'step-start:b', 'check:b:needed', 'plan:b', 'step-apply:b', 'step:b:applied',
    'step-start:c', 'check:c:needed', 'plan:c', 'step-apply:c', 'step:c:applied',
    'done',
  ]);
  assert.equal((events.at(-1) as { message: string }).message, 'All steps verified (2 applied, 1 already done or skipped).');
  assert.equal((events.find((e) => e.event === 'step' && e.id === 'b') as { message: string }).message, 'Created b. Verified: b is there.');
});

test('the first failure stops the flow: later steps never run, the failure carries its code and hint', async () => {
  const sys = fresh();
  sys.fails.set('b', 1);
  const { r, trace, events } = await run([fact('a'), fact('b'), fact('c')], sys);
  assert.equal(r.ok, false);
  assert.deepEqual(sys.applied, ['a']);
  assert.ok(!trace.some((t) => t.endsWith(':c') || t.includes(':c:')), 'c never started');
  const failed = events.find((e) => e.event === 'step' && e.status === 'failed') as { id: string; code: string; hint: string; message: string };
  assert.deepEqual([failed.id, failed.code, failed.hint, failed.message], ['b', 'EXEC', 'Look at b.', 'b could not be created']);
  assert.equal(r.message, 'Put b in place: b could not be created');
  assert.equal(r.hint, 'Look at b.');
});

test('a dry run plans, applies nothing, and says which proofs wait for the planned steps', async () => {
  const sys = fresh('c');
  const { r, trace } = await run([fact('a'), fact('b'), fact('c')], sys, { dryRun: true });
  assert.equal(r.ok, true);
  assert.deepEqual(sys.applied, []);
  assert.ok(!trace.some((t) => t.startsWith('step-apply')), 'nothing is applied');
  assert.deepEqual(trace.filter((t) => t.startsWith('step:')), ['step:a:planned', 'step:b:planned', 'step:c:done']);
  assert.match(r.message, /^Dry run: nothing was changed\. 2 step\(s\) would change the system/);
});

test('a second run resumes: what the first run did is only verified, the rest is applied', async () => {
  const sys = fresh();
  sys.fails.set('c', 1);
  const first = await run([fact('a'), fact('b'), fact('c'), fact('d')], sys);
  assert.equal(first.r.ok, false);
  assert.deepEqual(sys.applied, ['a', 'b']);
  const second = await run([fact('a'), fact('b'), fact('c'), fact('d')], sys);
  assert.equal(second.r.ok, true);
  assert.deepEqual(second.r.applied, ['c', 'd']);
  assert.deepEqual(second.trace.filter((t) => t.startsWith('step:')), ['step:a:done', 'step:b:done', 'step:c:applied', 'step:d:applied']);
  const third = await run([fact('a'), fact('b'), fact('c'), fact('d')], sys);
  assert.deepEqual(third.r.applied, []);
  assert.equal(third.r.message, 'Everything was already in place; all steps verified, nothing changed.');
});

test('a confirm comes before applying: "applying" is announced only after yes; no stops the flow', async () => {
  const sys = fresh();
  const yes = answering([true]);
  const ok = await run([fact('a', { confirm: true })], sys, { yes: false, prompter: yes });
  assert.deepEqual(yes.asked, ['Create a?']);
  assert.deepEqual(ok.trace.slice(1, -1), ['step-start:a', 'check:a:needed', 'plan:a', 'step-apply:a', 'step:a:applied']);
  const no = answering([false]);
  const declined = await run([fact('b', { confirm: true }), fact('c')], sys, { yes: false, prompter: no });
  assert.equal(declined.r.ok, false);
  assert.ok(!declined.trace.includes('step-apply:b'));
  assert.deepEqual(declined.trace.filter((t) => t.startsWith('step:')), ['step:b:skipped']);
  assert.match(declined.r.message, /You declined "Put b in place"/);
  assert.ok(!sys.facts.has('c'));
});

test('without a terminal a confirm is not guessed: NOT_A_TTY, nothing applied', async () => {
  const sys = fresh();
  const { r, events } = await run([fact('a', { confirm: true })], sys, { yes: false, prompter: { ...answering([]), interactive: false } });
  assert.equal(r.ok, false);
  assert.equal((events.find((e) => e.event === 'step') as { code: string }).code, 'NOT_A_TTY');
  assert.deepEqual(sys.applied, []);
});

test('retry is a runner feature: onFailure says retry, the failed step runs again from its check', async () => {
  const sys = fresh();
  sys.fails.set('b', 2);
  const asked: string[] = [];
  const { r, trace } = await run([fact('a'), fact('b'), fact('c')], sys, { onFailure: async (f) => (asked.push(`${f.id}:${f.code}`), 'retry') });
  assert.equal(r.ok, true);
  assert.deepEqual(asked, ['b:EXEC', 'b:EXEC']);
  assert.deepEqual(trace.filter((t) => t.startsWith('step:')), ['step:a:applied', 'step:b:failed', 'step:b:failed', 'step:b:applied', 'step:c:applied']);
  const stop = fresh();
  stop.fails.set('a', 1);
  const stopped = await run([fact('a'), fact('b')], stop, { onFailure: async () => 'stop' });
  assert.equal(stopped.r.ok, false);
  assert.deepEqual(stop.applied, []);
});

test('keepGoing runs every step despite failures, and summarize writes the closing line', async () => {
  const sys = fresh();
  sys.fails.set('a', 1);
  const { r, events } = await run([fact('a'), fact('b', { blocked: 'b is broken' }), fact('c')], sys, {
    keepGoing: true,
    summarize: async (o) => ({ ok: false, message: [...o.statuses].map(([id, s]) => `${id}=${s}`).join(' ') }),
  });
  assert.equal(r.ok, false);
  assert.deepEqual(sys.applied, ['c']);
  assert.equal(r.message, 'a=failed b=failed c=applied');
  assert.deepEqual(events.at(-1), { event: 'done', ok: false, message: 'a=failed b=failed c=applied', hint: undefined });
});

test('preflight lists every blocked check before anything is applied', async () => {
  const sys = fresh();
  const { r, trace } = await run([fact('a'), fact('b', { blocked: 'b is broken' }), fact('c', { blocked: 'c is broken' })], sys, { preflight: true });
  assert.equal(r.ok, false);
  assert.deepEqual(sys.applied, []);
  assert.equal(r.message, 'Nothing was changed: Put b in place: b is broken Put c in place: c is broken');
  assert.equal(r.hint, 'Fix b by hand. Fix c by hand.');
  assert.deepEqual(trace.filter((t) => t.startsWith('step:')), ['step:b:failed', 'step:c:failed']);
});

test('Ctrl-C before a step stops cleanly; summarize still runs', async () => {
  const sys = fresh();
  const abort = new AbortController();
  abort.abort();
  let summarized = false;
  const { r } = await run([fact('a')], sys, { signal: abort.signal, summarize: async (o) => ((summarized = o.cancelled), { ok: false, message: 'stopped' }) });
  assert.equal(r.ok, false);
  assert.equal(summarized, true);
  assert.deepEqual(sys.applied, []);
});

test('one plan, one confirmation: the review lists every change and is asked once; a step with ownConfirm still asks; no changes nothing', async () => {
  const own = { ...fact('stop', { confirm: true }), ownConfirm: true };
  const steps = () => [fact('a', { confirm: true }), fact('b'), fact('c', { confirm: true }), own, fact('d', { confirm: true })];
  const sys = fresh('b');
  const yes = answering([true, true]);
  const ok = await run(steps(), sys, { yes: false, prompter: yes, review: true, reviewNotes: ['Nothing is undone.'] });
  assert.equal(ok.r.ok, true, ok.r.message);
  assert.deepEqual(yes.asked, ['Apply this plan? 3 step(s) will change the system, in this order, each verified before the next.', 'Create stop?']);
  const review = ok.events.find((e) => e.event === 'review');
  assert.ok(review && review.event === 'review');
  assert.deepEqual(review.steps.map((s) => [s.id, s.own]), [['a', false], ['c', false], ['stop', true], ['d', false]]);
  assert.deepEqual(sys.applied, ['a', 'c', 'stop', 'd']);

  const no = answering([false]);
  const none = fresh();
  const declined = await run(steps(), none, { yes: false, prompter: no, review: true });
  assert.equal(declined.r.ok, false);
  assert.equal(declined.r.message, 'You declined the plan; nothing was changed.');
  assert.deepEqual(none.applied, []);
  assert.equal(no.asked.length, 1);

  const unasked = answering([]);
  const withYes = await run(steps(), fresh(), { yes: true, prompter: unasked, review: true });
  assert.equal(withYes.r.ok, true);
  assert.deepEqual(unasked.asked, [], '--yes skips the review and the own confirmation');
  assert.ok(!withYes.events.some((e) => e.event === 'review'));
});
