// setup against "another host": a network namespace with its own PostgreSQL over TLS, reached only through a URL for a role
// with CREATEROLE and CREATEDB (no superuser, no pg_hba.conf, no postgres OS user), as on a managed service.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { parse } from 'yaml';
import { runCli, stepStatuses } from './helpers/cli.js';
import { startRemotePg, type RemotePg } from './helpers/netns.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'generated', 'homeserver.yaml');

function workDir(): { dir: string; cfg: string; pwFile: string; password: string } {
  const dir = mkdtempSync(join(tmpdir(), 'spgw-remote-setup-'));
  const cfg = join(dir, 'homeserver.yaml');
  writeFileSync(cfg, readFileSync(FIXTURE, 'utf8').replaceAll('/tmp/gen', dir), { mode: 0o640 });
  const password = 'S' + randomBytes(18).toString('base64url');
  const pwFile = join(dir, 'db-password');
  writeFileSync(pwFile, password + '\n', { mode: 0o600 });
  return { dir, cfg, pwFile, password };
}

function setupArgs(r: RemotePg, w: ReturnType<typeof workDir>, extra: string[] = []): string[] {
  return ['setup', '--yes', '--json', '-c', w.cfg, '--pg-admin', `url:${r.adminUrl}`, '--db-host', r.addr, '--db-port', String(r.port), '--db-password-file', w.pwFile, '--db-sslmode', 'verify-full', '--db-sslrootcert', r.ca.caFile, ...extra];
}

/** Synapse's login as libpq's verify-full makes it: the server's certificate must chain to the CA and name its address. */
async function loginVerifyFull(r: RemotePg, user: string, password: string, database = 'synapse'): Promise<{ user: string; ssl: boolean }> {
  const c = new pg.Client({ host: r.addr, port: r.port, user, password, database, ssl: { ca: readFileSync(r.ca.caFile), rejectUnauthorized: true }, connectionTimeoutMillis: 5000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    const row = (await c.query(`SELECT current_user AS u, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`)).rows[0];
    return { user: row.u, ssl: row.ssl };
  } finally {
    await c.end().catch(() => undefined);
  }
}

test('setup --yes with a CREATEROLE/CREATEDB admin over TLS: role, membership, database, config with sslmode verify-full, and Synapse logs in', async () => {
  const r = startRemotePg();
  try {
    const w = workDir();
    const env = { PGPASSWORD: r.admin.password, HOME: w.dir };
    const res = await runCli(setupArgs(r, w), { env, cwd: w.dir, watchSecrets: [w.password, r.admin.password] });
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.deepEqual(stepStatuses(res.events), { 'find-config': 'done', 'pg-admin': 'done', 'create-role': 'applied', 'create-database': 'applied', 'pg-hba': 'done', 'database-config': 'applied' });
    assert.deepEqual(res.leaks, []);
    assert.ok(!res.stdout.includes(w.password) && !res.stdout.includes(r.admin.password));
    const admin = res.events.find((e) => e.event === 'step' && e.id === 'pg-admin' && e.status === 'done')!;
    assert.match(String(admin.message), /provider_admin \(CREATEROLE and CREATEDB, not a superuser/);
    const plan = JSON.stringify(res.events.filter((e) => e.event === 'plan'));
    assert.match(plan, /GRANT \\"synapse_user\\" TO \\"provider_admin\\"/, 'PostgreSQL 15: plain membership');

    // on the server, seen by its superuser
    assert.equal(r.psql(`SELECT rolsuper FROM pg_roles WHERE rolname = 'provider_admin'`), 'f');
    assert.equal(r.psql(`SELECT pg_encoding_to_char(encoding) || ' ' || datcollate || ' ' || datctype || ' ' || pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'synapse'`), 'UTF8 C C synapse_user');
    assert.equal(r.psql(`SELECT pg_has_role('provider_admin', 'synapse_user', 'MEMBER')`), 't');
    assert.equal(r.psql(`SELECT rolsuper::text || rolcreaterole::text || rolcreatedb::text FROM pg_roles WHERE rolname = 'synapse_user'`), 'falsefalsefalse');

    // the config Synapse reads: TLS with the CA, verify-full
    const args = parse(readFileSync(w.cfg, 'utf8')).database.args;
    assert.equal(args.host, r.addr);
    assert.equal(args.sslmode, 'verify-full');
    assert.equal(args.sslrootcert, r.ca.caFile);
    assert.deepEqual(await loginVerifyFull(r, 'synapse_user', w.password), { user: 'synapse_user', ssl: true });
    const cfgStep = res.events.find((e) => e.event === 'step' && e.id === 'database-config' && e.status === 'applied');
    assert.ok(cfgStep, 'database-config verified by logging in with its arguments');

    // a rerun changes nothing: the password is proven by logging in (the admin cannot read verifiers)
    const again = await runCli(setupArgs(r, w), { env, cwd: w.dir });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.deepEqual(Object.values(stepStatuses(again.events)), ['done', 'done', 'done', 'done', 'done', 'done']);
  } finally {
    r.stop();
  }
});

test('no pg_hba.conf line for Synapse: the wizard prints the exact line with the address the server sees; adding exactly it makes the rerun pass', async () => {
  // the provider's admin may log in from this host; nobody else may
  const r = startRemotePg({ hba: (host) => `local all postgres peer\nhostssl all provider_admin ${host}/32 scram-sha-256\n` });
  try {
    const w = workDir();
    const env = { PGPASSWORD: r.admin.password, HOME: w.dir };
    const res = await runCli(setupArgs(r, w), { env, cwd: w.dir });
    assert.equal(res.code, 1, res.stdout + res.stderr);
    const st = stepStatuses(res.events);
    assert.equal(st['create-role'], 'applied');
    assert.equal(st['create-database'], 'applied');
    const failed = res.events.find((e) => e.event === 'step' && e.status === 'failed')!;
    assert.equal(failed.id, 'pg-hba');
    const expected = `hostssl    synapse    synapse_user    ${r.hostAddr}/32    scram-sha-256`;
    assert.ok(String(failed.message).includes(`\n${expected}`), String(failed.message));
    assert.ok(String(failed.hint).includes(expected));
    assert.match(String(failed.message), /no pg_hba\.conf entry for host "10\.213\.\d+\.1"/);
    assert.equal(parse(readFileSync(w.cfg, 'utf8')).database.name, 'sqlite3', 'the config is not switched to a login that does not work');
    // a run that cannot finish undoes what it created (the database, then the role): the server is as before
    const done = res.events.find((e) => e.event === 'done')!;
    assert.match(String(done.message), /Undone: dropped database synapse, dropped role synapse_user/);
    assert.equal(r.psql(`SELECT count(*) FROM pg_roles WHERE rolname = 'synapse_user'`).trim(), '0');

    // the database admin adds exactly the printed line and reloads
    r.setHba(r.hba() + expected + '\n');
    const again = await runCli(setupArgs(r, w), { env, cwd: w.dir });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.deepEqual(stepStatuses(again.events), { 'find-config': 'done', 'pg-admin': 'done', 'create-role': 'applied', 'create-database': 'applied', 'pg-hba': 'done', 'database-config': 'applied' });
    assert.deepEqual(await loginVerifyFull(r, 'synapse_user', w.password), { user: 'synapse_user', ssl: true });
  } finally {
    r.stop();
  }
});

test('an admin without CREATEROLE is refused before anything changes, naming the missing privilege and what to ask the provider for', async () => {
  const r = startRemotePg();
  try {
    r.psql(`ALTER ROLE provider_admin NOCREATEROLE`);
    const w = workDir();
    const res = await runCli(setupArgs(r, w), { env: { PGPASSWORD: r.admin.password, HOME: w.dir }, cwd: w.dir });
    assert.equal(res.code, 1);
    const failed = res.events.find((e) => e.event === 'step' && e.status === 'failed')!;
    assert.equal(failed.id, 'pg-admin');
    assert.equal(failed.code, 'PG_NOT_SUPERUSER');
    assert.match(String(failed.message), /provider_admin, which is not a superuser and lacks CREATEROLE: it cannot create Synapse's role/);
    assert.match(String(failed.hint), /rds_superuser/);
    assert.match(String(failed.hint), /ALTER ROLE provider_admin CREATEROLE CREATEDB/);
    assert.equal(r.psql(`SELECT count(*) FROM pg_roles WHERE rolname = 'synapse_user'`), '0');
  } finally {
    r.stop();
  }
});

test('a superuser on another host: pg_hba.conf is still the server admin\'s (not edited, though this machine could read the file); the line is printed', async () => {
  const r = startRemotePg({ hba: (host) => `local all postgres peer\nhostssl all root_admin ${host}/32 scram-sha-256\n` });
  try {
    const pw = 'R' + randomBytes(15).toString('base64url');
    r.psql(`CREATE ROLE root_admin LOGIN SUPERUSER PASSWORD '${pw}'`);
    const hbaBefore = r.hba();
    const w = workDir();
    const args = setupArgs(r, w).map((a) => a.replace(`url:${r.adminUrl}`, `url:postgresql://root_admin@${r.addr}:${r.port}/postgres`));
    const res = await runCli(args, { env: { PGPASSWORD: pw, HOME: w.dir }, cwd: w.dir });
    assert.equal(res.code, 1, res.stdout);
    const admin = res.events.find((e) => e.event === 'step' && e.id === 'pg-admin')!;
    assert.match(String(admin.message), /as a superuser/);
    const failed = res.events.find((e) => e.event === 'step' && e.status === 'failed')!;
    assert.equal(failed.id, 'pg-hba');
    assert.match(String(failed.message), new RegExp(`PostgreSQL is on another host \\(${r.addr.replaceAll('.', '\\.')}\\), whose pg_hba\\.conf is its admin's`));
    assert.ok(String(failed.message).includes(`hostssl    synapse    synapse_user    ${r.hostAddr}/32    scram-sha-256`));
    assert.equal(r.hba(), hbaBefore, 'not edited');
    assert.equal(r.psql(`SELECT count(*) FROM pg_auth_members WHERE member = 'root_admin'::regrole`), '0', 'a superuser is granted nothing');
  } finally {
    r.stop();
  }
});
