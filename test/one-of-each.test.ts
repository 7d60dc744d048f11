// The shared helpers that replaced the copies: listener finder, host locality, exit codes, the read-only rule, known error texts, recovery.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommandLine } from '../src/cli/args.js';
import { isReadOnly } from '../src/cli/read-only.js';
import { WizardError } from '../src/core/errors.js';
import { exitCodeOf, exitCodeOfError } from '../src/core/exit-code.js';
import type { Prompter } from '../src/core/prompter.js';
import { askRecovery, failureText } from '../src/core/recovery.js';
import { diagnosePort } from '../src/cutover/diagnose.js';
import { isLocalHost, isLoopbackHost } from '../src/pg/host.js';
import { ERROR_TEXTS, matchesAny } from '../src/synapse/known-errors.js';
import { clientListener } from '../src/synapse/listener.js';

test('one listener finder: the client listener, loopback for wildcard binds, tls, and the first listener only when asked', () => {
  const metricsFirst = { listeners: [{ port: 9000, type: 'metrics' }, { port: 8008, bind_address: 'localhost', resources: [{ names: ['client'] }] }] };
  assert.deepEqual(clientListener(metricsFirst), { host: '127.0.0.1', port: 8008, tls: false, url: 'http://127.0.0.1:8008' });
  assert.equal(clientListener({ listeners: [{ port: 8448, tls: true, bind_addresses: ['::'], resources: [{ names: ['client'] }] }] })?.url, 'https://127.0.0.1:8448');
  const noClient = { listeners: [{ port: 8009, type: 'http', bind_addresses: ['::1'], resources: [{ names: ['federation'] }] }] };
  assert.equal(clientListener(noClient), undefined);
  assert.equal(clientListener(noClient, { orFirst: true })?.url, 'http://[::1]:8009');
  assert.equal(clientListener({ listeners: 'nonsense' }), undefined);
});

test('one host-locality rule: loopback names and addresses, socket directories, the default socket', () => {
  for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]']) assert.ok(isLoopbackHost(h), h);
  for (const h of ['', '/var/run/postgresql', 'localhost']) assert.ok(isLocalHost(h), h);
  for (const h of ['db.example.org', '10.0.0.5', '::2']) assert.ok(!isLocalHost(h), h);
});

test('one exit-code mapping: 0 ok, 1 failed, 2 bad usage, 130 interrupted', () => {
  assert.equal(exitCodeOf(true), 0);
  assert.equal(exitCodeOf(true, true), 0);
  assert.equal(exitCodeOf(false), 1);
  assert.equal(exitCodeOf(false, true), 130);
  assert.equal(exitCodeOfError(new WizardError('BAD_INPUT', 'x')), 2);
  assert.equal(exitCodeOfError(new WizardError('NOT_A_TTY', 'x')), 2);
  assert.equal(exitCodeOfError(new WizardError('CANCELLED', 'x')), 130);
  assert.equal(exitCodeOfError(new WizardError('PG_AUTH', 'x')), 1);
});

test('one read-only rule: status, sandbox status, maintain report (and maintain alone when nobody can be asked)', () => {
  const ro = (argv: string[], interactive: boolean) => isReadOnly(parseCommandLine(argv), interactive);
  assert.ok(ro(['status'], true) && ro(['sandbox'], true) && ro(['sandbox', 'status'], false) && ro(['maintain', 'report'], true));
  assert.ok(ro(['maintain'], false), 'without a terminal, maintain alone is the report');
  assert.ok(!ro(['maintain'], true), 'on a terminal, maintain alone asks which task');
  assert.ok(!ro(['setup'], false) && !ro(['sandbox', 'up'], false) && !ro(['maintain', 'vacuum'], false) && !ro(['doctor', '--yes'], false));
  assert.ok(ro(['doctor'], false), 'without a terminal and without --yes, the doctor is the read-only diagnosis');
  assert.ok(!ro(['doctor'], true), 'on a terminal, the doctor asks before each fix');
  assert.ok(ro(['doctor', '--json'], false), 'doctor --json alone is the read-only diagnosis');
});

test('one table of error texts: the port and the doctor read the same patterns', () => {
  const text = 'psycopg2.errors.UniqueViolation: duplicate key value violates unique constraint "events_pkey"';
  assert.ok(matchesAny(ERROR_TEXTS.targetNotEmpty, text));
  assert.match(diagnosePort(5, text, '/x.log').message, /not empty, or Synapse was started on it/);
  assert.ok(matchesAny(ERROR_TEXTS.dockerNoHbaEntry, 'FATAL:  no pg_hba.conf entry for host "172.18.0.3", user "synapse"'));
  assert.ok(!matchesAny(ERROR_TEXTS.hbaRejected, 'FATAL:  no pg_hba.conf entry for host "172.18.0.3", user "synapse"'), 'Docker networks are their own diagnosis');
  assert.ok(matchesAny(ERROR_TEXTS.hbaRejected, 'FATAL:  no pg_hba.conf entry for host "10.1.2.3", user "synapse"'));
});

test('recovery asks through the prompter: retry, diagnose (handing over the failure) or stop', async () => {
  const answers: string[] = ['retry', 'diagnose', 'stop'];
  const asked: string[][] = [];
  const prompter = {
    interactive: true,
    async select(q: { options: { value: string }[] }) {
      asked.push(q.options.map((o) => o.value));
      return answers.shift();
    },
  } as unknown as Prompter;
  let handed: string | undefined;
  const onFailure = askRecovery(prompter, (f) => (handed = failureText(f)));
  const failure = { id: 'pg-hba', title: 'Allow Synapse in pg_hba.conf', message: 'reload refused', hint: 'Read the server log.', code: 'HBA_RELOAD' };
  assert.equal(await onFailure(failure), 'retry');
  assert.equal(await onFailure(failure), 'stop');
  assert.equal(handed, 'reload refused Read the server log.');
  assert.equal(await onFailure(failure), 'stop');
  assert.deepEqual(asked[0], ['retry', 'diagnose', 'stop']);
  answers.push('stop');
  await askRecovery(prompter)(failure);
  assert.deepEqual(asked.at(-1), ['retry', 'stop'], 'without a doctor to hand it to, no diagnose');
});
