// Setup's last proof is Synapse's own login: psycopg2 (the real Synapse chroot via --synapse-exec) with every database.args key,
// a read and a rolled-back write. An expired role is seen and fixed; sslmode: require against a server without SSL fails the proof.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setDatabaseSection } from '../src/config/database-block.js';
import { loginAs, startCluster } from './helpers/cluster.js';
import { runCli, stepStatuses } from './helpers/cli.js';
import { requireSynapseChroot } from './helpers/synapse.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'generated', 'homeserver.yaml');

function setupDir(): { dir: string; cfg: string; pwFile: string; password: string } {
  const dir = mkdtempSync(join(tmpdir(), 'spgw-setup-truth-'));
  const cfg = join(dir, 'homeserver.yaml');
  writeFileSync(cfg, readFileSync(FIXTURE, 'utf8').replaceAll('/tmp/gen', dir), { mode: 0o640 });
  // every character that breaks naive quoting: ' " \ $ and a tab (the file holds one line; YAML and SQL must quote it)
  const password = `S'"\\$\t` + randomBytes(12).toString('base64url');
  const pwFile = join(dir, 'db-password');
  writeFileSync(pwFile, password + '\n', { mode: 0o600 });
  return { dir, cfg, pwFile, password };
}

test('setup: an existing role whose password expired (VALID UNTIL) is seen, fixed with consent and proven by psycopg2 from the Synapse chroot', async () => {
  const chroot = requireSynapseChroot();
  const c = await startCluster();
  try {
    const s = setupDir();
    c.psql(`CREATE ROLE synapse_user LOGIN PASSWORD '${s.password.replace(/'/g, "''")}' VALID UNTIL '2001-01-01'`);
    await assert.rejects(loginAs(c, '127.0.0.1', 'synapse_user', s.password, 'postgres'), /password authentication failed/);
    const args = ['setup', '--json', '-c', s.cfg, '--db-port', String(c.port), '--db-password-file', s.pwFile, '--synapse-exec', `chroot:${chroot}`];
    const dry = await runCli([...args, '--dry-run'], { env: c.env });
    assert.equal(dry.code, 0, dry.stdout);
    const role = dry.events.find((e) => e.event === 'step' && e.id === 'create-role' && e.status === 'planned');
    assert.ok(role, dry.stdout);
    assert.match(JSON.stringify(dry.events.filter((e) => e.id === 'create-role')), /expired at 2001-01-01.*VALID UNTIL 'infinity'/);

    const r = await runCli([...args, '--yes'], { env: c.env, watchSecrets: [s.password] });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(stepStatuses(r.events)['create-role'], 'applied');
    const verified = r.events.find((e) => e.event === 'step' && e.id === 'database-config' && e.status === 'verified') ?? r.events.find((e) => e.id === 'database-config' && /psycopg2/.test(String(e.message)));
    assert.match(String(verified?.message), /logging in exactly as Synapse will works: Connected as synapse_user with psycopg2 .* via chroot .* wrote in a transaction that was rolled back/, r.stdout);
    assert.deepEqual(r.leaks, []);
    for (const enc of [s.password, JSON.stringify(s.password).slice(1, -1), encodeURIComponent(s.password)]) assert.ok(!r.stdout.includes(enc) && !r.stderr.includes(enc), 'the password shows in no encoding');
    assert.equal(await loginAs(c, '127.0.0.1', 'synapse_user', s.password), 'synapse_user');
  } finally {
    c.stop();
  }
});

test("setup: sslmode: require already in database.args, against a server without SSL: the proof fails as Synapse's login would", async () => {
  const chroot = requireSynapseChroot();
  const c = await startCluster();
  try {
    const s = setupDir();
    writeFileSync(s.cfg, setDatabaseSection(readFileSync(s.cfg, 'utf8'), { name: 'psycopg2', args: { user: 'synapse_user', password: s.password, dbname: 'synapse', host: 'localhost', port: c.port, sslmode: 'require' } }));
    const r = await runCli(['setup', '--yes', '--json', '-c', s.cfg, '--db-port', String(c.port), '--db-password-file', s.pwFile, '--synapse-exec', `chroot:${chroot}`], { env: c.env });
    assert.equal(r.code, 1, r.stdout);
    const failed = r.events.find((e) => e.event === 'step' && e.status === 'failed')!;
    assert.equal(failed.id, 'database-config', r.stdout);
    assert.match(JSON.stringify(failed), /logging in exactly as Synapse will fails: Failed at connecting with psycopg2 .* sslmode.*server does not support SSL, but SSL was required/);
  } finally {
    c.stop();
  }
});

test('setup: CONNECT revoked on an existing database is named as such (not blamed on pg_hba.conf) and granted back', async () => {
  const c = await startCluster();
  try {
    const s = setupDir();
    c.psql(`CREATE ROLE synapse_user LOGIN PASSWORD '${s.password.replace(/'/g, "''")}'; CREATE DATABASE synapse OWNER synapse_user TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'; REVOKE CONNECT ON DATABASE synapse FROM PUBLIC, synapse_user;`);
    const args = ['setup', '--json', '-c', s.cfg, '--db-port', String(c.port), '--db-password-file', s.pwFile];
    const dry = await runCli([...args, '--dry-run'], { env: c.env });
    assert.match(JSON.stringify(dry.events.filter((e) => e.id === 'create-database')), /synapse_user lacks the CONNECT privilege on it \(it was revoked\).*GRANT CONNECT ON DATABASE \\"synapse\\" TO \\"synapse_user\\"/);
    assert.ok(!/pg_hba/.test(JSON.stringify(dry.events.filter((e) => e.id === 'create-database'))));
    const r = await runCli([...args, '--yes'], { env: c.env });
    assert.equal(r.code, 0, r.stdout);
    assert.equal(stepStatuses(r.events)['create-database'], 'applied');
    assert.equal(await loginAs(c, '127.0.0.1', 'synapse_user', s.password), 'synapse_user');
  } finally {
    c.stop();
  }
});
