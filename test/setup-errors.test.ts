// Bad input and faults: a clear message, the right exit status, and nothing changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startCluster } from './helpers/cluster.js';
import { findSecrets, secretForms } from './helpers/secrets.js';
import { runCli, stepStatuses } from './helpers/cli.js';
import { pgAdmin } from '../src/setup/steps/pg-admin.js';
import type { SetupContext } from '../src/setup/context.js';
import type { PgAdmin } from '../src/adapters/pg-admin.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'spgw-err-'));

test('names that are not plain identifiers are refused before anything runs', async () => {
  const r = await runCli(['setup', '--yes', '--db-user', 'synapse"; DROP TABLE x; --']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--db-user .* is not a plain role name/);
  assert.match(r.stderr, /What to do: Use 1-63 characters/);
  const r2 = await runCli(['setup', '--yes', '--db-name', '1abc']);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /--db-name "1abc" is not a plain database name/);
  const r3 = await runCli(['setup', '--yes', '--db-port', 'abc']);
  assert.equal(r3.code, 2);
  assert.match(r3.stderr, /not a TCP port/);
  const r4 = await runCli(['setup', '--yes', '--pg-hba', 'maybe']);
  assert.equal(r4.code, 2);
  const r5 = await runCli(['setup', '--bogus']);
  assert.equal(r5.code, 2);
  assert.match(r5.stderr, /There is no flag --bogus\./);
});

test('no terminal and no --yes: nothing is changed and the message says what to do', async () => {
  const c = await startCluster();
  try {
    const r = await runCli(['setup', '--db-port', String(c.port)], { env: c.env, cwd: tmp() });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no terminal/);
    assert.match(r.stderr, /--yes/);
    assert.equal(c.psql(`SELECT count(*) FROM pg_roles WHERE rolname = 'synapse_user'`), '0');
  } finally {
    c.stop();
  }
});

test('config problems: a missing path and YAML that does not parse (with line and column)', async () => {
  const dir = tmp();
  const r = await runCli(['setup', '--yes', '--json', '-c', join(dir, 'nope.yaml')], { cwd: dir });
  assert.equal(r.code, 1);
  const f = r.events.find((e) => e.event === 'step' && e.status === 'failed')!;
  assert.equal(f.id, 'find-config');
  assert.equal(f.code, 'CONFIG_NOT_FOUND');
  const bad = join(dir, 'homeserver.yaml');
  writeFileSync(bad, 'server_name: "example.org"\nlisteners:\n  - port: 8008\n   type: http\n');
  const r2 = await runCli(['setup', '--yes', '--json', '-c', bad], { cwd: dir });
  assert.equal(r2.code, 1);
  const f2 = r2.events.find((e) => e.event === 'step' && e.status === 'failed')!;
  assert.equal(f2.code, 'CONFIG_PARSE');
  assert.match(String(f2.message), new RegExp(`${bad.replace(/[.]/g, '\\.')}:4:\\d+: `));
});

test('config already on PostgreSQL with other credentials: refused, nothing changed', async () => {
  const c = await startCluster();
  try {
    const dir = tmp();
    const cfg = join(dir, 'homeserver.yaml');
    const text = 'server_name: example.org\ndatabase:\n  name: psycopg2\n  args:\n    user: other_user\n    password: secret-other-1234\n    dbname: otherdb\n    host: localhost\n';
    writeFileSync(cfg, text);
    const r = await runCli(['setup', '--yes', '--json', '-c', cfg, '--db-user', 'synapse_user', '--db-port', String(c.port)], { env: c.env });
    assert.equal(r.code, 1);
    const f = r.events.find((e) => e.event === 'step' && e.status === 'failed')!;
    assert.equal(f.code, 'CONFIG_CONFLICT');
    assert.match(String(f.message), /--db-user synapse_user but the config has other_user/);
    assert.ok(!r.stdout.includes('secret-other-1234'), 'the configured password is never shown');
    assert.equal(readFileSync(cfg, 'utf8'), text);
    assert.equal(c.psql(`SELECT count(*) FROM pg_roles WHERE rolname = 'synapse_user'`), '0');
  } finally {
    c.stop();
  }
});

test('PostgreSQL not running: a clear message', async () => {
  const port = await freePort();
  const dir = tmp();
  const r = await runCli(['setup', '--yes', '--json', '--db-port', String(port)], { cwd: dir, env: { PGHOST: dir, PGPORT: String(port), HOME: dir } });
  assert.equal(r.code, 1);
  const f = r.events.find((e) => e.event === 'step' && e.status === 'failed')!;
  assert.equal(f.id, 'pg-admin');
  assert.equal(f.code, 'PG_UNREACHABLE');
  assert.match(String(f.hint), /Is PostgreSQL running/);
});

test('an admin connection that is not a superuser is refused', async () => {
  const c = await startCluster();
  try {
    c.psql(`CREATE ROLE plain LOGIN PASSWORD 'plain-password-123'`);
    const dir = tmp();
    const r = await runCli(['setup', '--yes', '--json', '--pg-admin', `url:postgresql://plain@127.0.0.1:${c.port}/postgres`, '--db-port', String(c.port)], { cwd: dir, env: { PGPASSWORD: 'plain-password-123', HOME: dir } });
    assert.equal(r.code, 1);
    const f = r.events.find((e) => e.event === 'step' && e.status === 'failed')!;
    assert.equal(f.code, 'PG_NOT_SUPERUSER');
    assert.equal(stepStatuses(r.events)['create-role'], undefined);
  } finally {
    c.stop();
  }
});

test('pg_hba.conf that already has an error is not touched, and the error is named', async () => {
  const c = await startCluster();
  try {
    const broken = readFileSync(c.hbaFile, 'utf8').replace(/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)scram-sha-256$/m, '$1ident\nhost all all 10.0.0.0/8 no-such-method');
    writeFileSync(c.hbaFile, broken);
    const dir = tmp();
    const r = await runCli(['setup', '--yes', '--json', '--db-port', String(c.port)], { cwd: dir, env: { ...c.env, HOME: dir } });
    assert.equal(r.code, 1);
    const f = r.events.find((e) => e.event === 'step' && e.status === 'failed')!;
    assert.equal(f.id, 'pg-hba');
    assert.equal(f.code, 'HBA_RELOAD');
    assert.match(String(f.message), /no-such-method/);
    assert.equal(readFileSync(c.hbaFile, 'utf8'), broken);
    assert.equal(c.psql(`SELECT count(*) FROM pg_roles WHERE rolname = 'synapse_user'`), '0');
  } finally {
    c.stop();
  }
});

test('a server older than PostgreSQL 14 is refused (only 15 installs here, so the version is faked at the psql edge)', async () => {
  const old: PgAdmin = {
    describe: () => 'psql (test double of a PostgreSQL 13 server)',
    commandFor: () => undefined,
    close: async () => undefined,
    exec: async () => undefined,
    query: async <T,>() => [{ version_num: '130014', version: '13.14', is_super: true, password_encryption: 'scram-sha-256', hba_file: '/x', ssl: 'off', data_directory: '/x' }] as T[],
  };
  const ctx = { admin: old } as unknown as SetupContext;
  const r = await pgAdmin.check(ctx, { dryRun: false, signal: new AbortController().signal, log() {}, progress() {} });
  assert.equal(r.status, 'blocked');
  assert.match(r.message, /PostgreSQL 13.14 is too old: Synapse requires PostgreSQL 14 or above/);
});

test('the argv record used by the secret tests catches a secret in a child\'s argv, in any of its encodings', async () => {
  // PGHOST goes to psql as -h (not a secret, so it may): a marker there must be caught in the exec adapter's record.
  const marker = `/nonexistent/marker'"\\$\t${process.pid}`;
  const home = mkdtempSync(join(tmpdir(), 'spgw-argv-'));
  const r = await runCli(['setup', '--yes', '--json', '--db-port', '1'], { cwd: home, env: { PGHOST: marker, HOME: home }, watchSecrets: [marker] });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const psql = r.argvs.find((a) => a.includes('psql'));
  assert.ok(psql, `psql was started and recorded: ${JSON.stringify(r.argvs)}`);
  assert.deepEqual(psql.slice(psql.indexOf('-h'), psql.indexOf('-h') + 2), ['-h', marker]);
  assert.ok(r.leaks.some((l) => l.includes('as raw')), r.leaks.join('\n'));
  // each encoding is found where it occurs
  for (const [name, form] of secretForms(marker)) assert.deepEqual(findSecrets(`x ${form} y`, [marker]).includes(`secret #0 as ${name}`), true, name);
  assert.deepEqual(findSecrets(`x ${Buffer.from('ab' + marker + 'cd').toString('base64')} y`, [marker]).length > 0, true, 'base64 inside a longer blob');
  assert.deepEqual(findSecrets('nothing here', [marker]), []);
});
