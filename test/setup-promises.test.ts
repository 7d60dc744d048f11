// The README's promises about `synapse-pg setup`, each against a real throwaway cluster through the built binary:
// --pg-hba skip, --write-config, md5 verifiers, a new conf.d/database.yaml, a database with the wrong owner, the owner and mode
// of backups, several blocked findings listed at once, NO_COLOR, --help and --version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { HBA_RHEL_IDENT, loginAs, startCluster } from './helpers/cluster.js';
import { runCli, stepStatuses } from './helpers/cli.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'generated', 'homeserver.yaml');
const PACKAGE = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string };

const tmp = () => mkdtempSync(join(tmpdir(), 'spgw-promise-'));

function homeserverYaml(dir: string, mode = 0o640): { path: string; text: string } {
  const text = readFileSync(FIXTURE, 'utf8').replaceAll('/tmp/gen', dir);
  const path = join(dir, 'homeserver.yaml');
  writeFileSync(path, text, { mode });
  return { path, text };
}

function passwordFile(dir: string): { path: string; password: string } {
  const password = 'S' + randomBytes(18).toString('base64url');
  const path = join(dir, 'db-password');
  writeFileSync(path, password + '\n', { mode: 0o600 });
  return { path, password };
}

const failedStep = (events: Record<string, unknown>[]) => events.find((e) => e.event === 'step' && e.status === 'failed');

test('--pg-hba skip leaves pg_hba.conf alone; where Synapse then cannot log in, the login proof fails and says why', async () => {
  const c = await startCluster({ hba: HBA_RHEL_IDENT });
  try {
    const dir = tmp();
    const pw = passwordFile(dir);
    const r = await runCli(['setup', '--yes', '--json', '--pg-hba', 'skip', '--db-port', String(c.port), '--db-password-file', pw.path], { cwd: dir, env: { ...c.env, HOME: dir } });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(stepStatuses(r.events)['pg-hba'], 'skipped');
    assert.equal(readFileSync(c.hbaFile, 'utf8'), HBA_RHEL_IDENT, 'not one byte changed');
    assert.deepEqual(readdirSync(join(c.dir, 'data')).filter((f) => f.startsWith('pg_hba.conf.')), [], 'no backup either: nothing was edited');
    const failed = failedStep(r.events)!;
    assert.equal(failed.id, 'database-config');
    assert.match(String(failed.code), /^(PG_AUTH|UNVERIFIED)$/);
    assert.match(String(failed.message), /Ident authentication failed for user "synapse_user"/);
    // the ident line still wins: the skip was real
    await assert.rejects(loginAs(c, '127.0.0.1', 'synapse_user', pw.password), /Ident authentication failed/);
  } finally {
    c.stop();
  }
  // on a server that accepts passwords already (a managed one, here Debian's default), skip is all it takes
  const d = await startCluster();
  try {
    const dir = tmp();
    const pw = passwordFile(dir);
    const before = readFileSync(d.hbaFile, 'utf8');
    const r = await runCli(['setup', '--yes', '--json', '--pg-hba', 'skip', '--db-port', String(d.port), '--db-password-file', pw.path], { cwd: dir, env: { ...d.env, HOME: dir } });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(stepStatuses(r.events)['pg-hba'], 'skipped');
    assert.equal(readFileSync(d.hbaFile, 'utf8'), before);
    assert.equal(await loginAs(d, '127.0.0.1', 'synapse_user', pw.password), 'synapse_user');
  } finally {
    d.stop();
  }
});

test('md5 password_encryption: the role gets an md5 verifier (never the plaintext), pg_hba gets md5 lines, and the login works', async () => {
  const c = await startCluster({ hba: HBA_RHEL_IDENT, extraConf: "password_encryption = md5\nlog_statement = all" });
  try {
    const dir = tmp();
    const pw = passwordFile(dir);
    const r = await runCli(['setup', '--yes', '--json', '--db-port', String(c.port), '--db-password-file', pw.path], { cwd: dir, env: { ...c.env, HOME: dir }, watchSecrets: [pw.password] });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(r.leaks, []);
    // md5 verifier = 'md5' || md5(password || username), computed here on its own
    const { createHash } = await import('node:crypto');
    const expected = 'md5' + createHash('md5').update(pw.password + 'synapse_user').digest('hex');
    assert.equal(c.psql(`SELECT rolpassword FROM pg_authid WHERE rolname = 'synapse_user'`), expected);
    assert.ok(readFileSync(c.hbaFile, 'utf8').split('\n').some((l) => /^host\s+synapse\s+synapse_user\s+127\.0\.0\.1\/32\s+md5$/.test(l)), readFileSync(c.hbaFile, 'utf8'));
    const log = readFileSync(join(c.dir, 'server.log'), 'utf8');
    assert.match(log, new RegExp(`CREATE ROLE "synapse_user" LOGIN PASSWORD '${expected}'`), 'the verifier travelled in SQL');
    assert.ok(!log.includes(pw.password), 'the plaintext did not');
    assert.equal(await loginAs(c, '127.0.0.1', 'synapse_user', pw.password), 'synapse_user');
  } finally {
    c.stop();
  }
});

test('a config on SQLite with data is not switched; --write-config switches it', async () => {
  const c = await startCluster();
  try {
    const dir = tmp();
    const cfg = homeserverYaml(dir);
    // the config's SQLite file (database: /tmp/gen/homeserver.db in the fixture) with a user and an event in it
    const sqlite = join(dir, 'homeserver.db');
    const db = new Database(sqlite);
    db.exec(`CREATE TABLE users (name TEXT); CREATE TABLE events (event_id TEXT); INSERT INTO users VALUES ('@a:x'); INSERT INTO events VALUES ('$1'), ('$2');`);
    db.close();
    const pw = passwordFile(dir);
    const args = ['setup', '--yes', '--json', '-c', cfg.path, '--db-port', String(c.port), '--db-password-file', pw.path];
    const r = await runCli(args, { env: c.env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(stepStatuses(r.events)['database-config'], 'skipped');
    assert.match(String(r.events.find((e) => e.event === 'step' && e.id === 'database-config')!.message), /still uses SQLite \(.*homeserver\.db: 1 user\(s\), 2 event\(s\)\).*synapse-pg cutover.*--write-config/);
    assert.equal(readFileSync(cfg.path, 'utf8'), cfg.text, 'the config was not switched');
    const w = await runCli([...args, '--write-config'], { env: c.env });
    assert.equal(w.code, 0, w.stdout + w.stderr);
    assert.equal(stepStatuses(w.events)['database-config'], 'applied');
    assert.match(readFileSync(cfg.path, 'utf8'), /^database:\n {2}name: psycopg2\n/m);
  } finally {
    c.stop();
  }
});

test('a conf.d layout without database: gets a new conf.d/database.yaml (0640, owner of homeserver.yaml); the other files stay as they were', async () => {
  const c = await startCluster();
  try {
    const dir = tmp();
    const main = join(dir, 'homeserver.yaml');
    const mainText = 'server_name: "example.org"\npid_file: /tmp/hs.pid\nreport_stats: false\n';
    writeFileSync(main, mainText, { mode: 0o640 });
    chownSync(main, 0, 65534); // group nogroup: the group Synapse would read through
    mkdirSync(join(dir, 'conf.d'));
    const other = join(dir, 'conf.d', 'server.yaml');
    writeFileSync(other, 'public_baseurl: https://example.org/\n');
    const pw = passwordFile(dir);
    const r = await runCli(['setup', '--yes', '--json', '-c', main, '-c', join(dir, 'conf.d'), '--db-port', String(c.port), '--db-password-file', pw.path], { env: c.env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(stepStatuses(r.events)['database-config'], 'applied');
    const file = join(dir, 'conf.d', 'database.yaml');
    const st = statSync(file);
    assert.equal(st.mode & 0o777, 0o640);
    assert.deepEqual([st.uid, st.gid], [0, 65534]);
    assert.match(readFileSync(file, 'utf8'), new RegExp(`^database:\\n  name: psycopg2\\n  args:\\n    user: synapse_user\\n    password: ${pw.password}\\n`, 'm'));
    assert.equal(readFileSync(main, 'utf8'), mainText);
    assert.equal(readFileSync(other, 'utf8'), 'public_baseurl: https://example.org/\n');
  } finally {
    c.stop();
  }
});

test('an existing database owned by another role is refused before anything changes, with the fix', async () => {
  const c = await startCluster();
  try {
    c.psql(`CREATE ROLE someone_else; CREATE DATABASE synapse OWNER someone_else TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
    const dir = tmp();
    const pw = passwordFile(dir);
    const r = await runCli(['setup', '--yes', '--json', '--db-port', String(c.port), '--db-password-file', pw.path], { cwd: dir, env: { ...c.env, HOME: dir } });
    assert.equal(r.code, 1, r.stdout);
    const failed = failedStep(r.events)!;
    assert.equal(failed.id, 'create-database');
    assert.equal(failed.code, 'DB_WRONG_OWNER');
    assert.match(String(failed.message), /Database synapse is owned by someone_else, not by synapse_user/);
    assert.match(String(failed.hint), /ALTER DATABASE "synapse" OWNER TO "synapse_user"/);
    assert.equal(c.psql(`SELECT count(*) FROM pg_roles WHERE rolname = 'synapse_user'`), '0', 'the role was not created: nothing changed');
  } finally {
    c.stop();
  }
});

test('several blocked findings are listed together, and nothing is changed', async () => {
  const c = await startCluster();
  try {
    // an existing role with an unknown password AND a database in the C.UTF-8 locale: two findings, one run
    c.psql(`CREATE ROLE synapse_user LOGIN PASSWORD 'old-password-123'; CREATE DATABASE synapse OWNER synapse_user`);
    const dir = tmp();
    const cfg = homeserverYaml(dir);
    const pw = passwordFile(dir);
    const verifier = c.psql(`SELECT rolpassword FROM pg_authid WHERE rolname = 'synapse_user'`);
    const r = await runCli(['setup', '--yes', '--json', '-c', cfg.path, '--db-port', String(c.port), '--db-password-file', pw.path], { env: c.env });
    assert.equal(r.code, 1, r.stdout);
    const end = r.events.at(-1)!;
    assert.equal(end.event, 'done');
    assert.match(String(end.message), /^Nothing was changed: /);
    assert.match(String(end.message), /synapse_user/, 'the role finding');
    assert.match(String(end.message), /COLLATE is 'C.UTF-8', Synapse needs 'C'/, 'and the database finding, in the same message');
    assert.match(String(end.hint), /--set-password/);
    assert.match(String(end.hint), /DROP DATABASE "synapse"/);
    assert.equal(r.events.filter((e) => e.event === 'step-apply').length, 0, 'nothing was applied');
    assert.equal(c.psql(`SELECT rolpassword FROM pg_authid WHERE rolname = 'synapse_user'`), verifier);
    assert.equal(readFileSync(cfg.path, 'utf8'), cfg.text);
  } finally {
    c.stop();
  }
});

test('the backup of an edited file keeps its owner and mode (FILE.synapse-pg-<timestamp>.bak)', async () => {
  const c = await startCluster();
  try {
    const dir = tmp();
    const cfg = homeserverYaml(dir, 0o600);
    chownSync(cfg.path, 65534, 65534); // owned by nobody, as a config owned by Synapse's user is
    const pw = passwordFile(dir);
    const r = await runCli(['setup', '--yes', '--json', '-c', cfg.path, '--db-port', String(c.port), '--db-password-file', pw.path], { env: c.env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const backups = readdirSync(dir).filter((f) => f.startsWith('homeserver.yaml.synapse-pg-'));
    assert.equal(backups.length, 1);
    assert.match(backups[0]!, /^homeserver\.yaml\.synapse-pg-\d{8}T\d{6}Z\.bak$/);
    const st = statSync(join(dir, backups[0]!));
    assert.equal(st.mode & 0o777, 0o600);
    assert.deepEqual([st.uid, st.gid], [65534, 65534]);
    assert.equal(readFileSync(join(dir, backups[0]!), 'utf8'), cfg.text);
    const now = statSync(cfg.path);
    assert.deepEqual([now.uid, now.gid, now.mode & 0o777], [65534, 65534, 0o600], 'and the edited file keeps them too');
  } finally {
    c.stop();
  }
});

test('--help and --version from the built binary', async () => {
  const v = await runCli(['--version']);
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.stdout.trim(), `synapse-pg ${PACKAGE.version}`);
  const v2 = await runCli(['-V']);
  assert.equal(v2.stdout.trim(), `synapse-pg ${PACKAGE.version}`);
  const h = await runCli(['--help']);
  assert.equal(h.code, 0, h.stderr);
  for (const cmd of ['setup', 'cutover', 'status', 'sandbox', 'doctor', 'maintain']) assert.match(h.stdout, new RegExp(`^\\s+${cmd}\\b`, 'm'), `--help lists ${cmd}`);
  const h2 = await runCli(['setup', '-h']);
  assert.equal(h2.code, 0, h2.stderr);
  for (const flag of ['--pg-admin', '--db-password-file', '--pg-hba', '--write-config', '--set-password']) assert.ok(h2.stdout.includes(flag), `setup --help names ${flag}`);
});
