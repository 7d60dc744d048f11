// End to end: the built binary, flags only, against real throwaway PostgreSQL clusters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { execFileSync } from 'node:child_process';
import { HBA_RHEL_IDENT, loginAs, startCluster } from './helpers/cluster.js';
import { runCli, stepStatuses } from './helpers/cli.js';
import { nastyPassword, startSecretsGuard } from './helpers/secrets.js';
import { requireSynapseChroot } from './helpers/synapse.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'generated', 'homeserver.yaml');

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'spgw-setup-'));
}

/** Synapse's own generated homeserver.yaml, pointing its SQLite file into `dir`. */
function homeserverYaml(dir: string): { path: string; text: string } {
  const text = readFileSync(FIXTURE, 'utf8').replaceAll('/tmp/gen', dir);
  const path = join(dir, 'homeserver.yaml');
  writeFileSync(path, text, { mode: 0o640 });
  return { path, text };
}

function passwordFile(dir: string): { path: string; password: string } {
  // starts with a letter, so YAML writes it plain (a leading digit or '-' is quoted, see test/config.test.ts)
  const password = 'S' + randomBytes(18).toString('base64url');
  const path = join(dir, 'db-password');
  writeFileSync(path, password + '\n', { mode: 0o600 });
  return { path, password };
}

const login = loginAs;

/** Reads YAML with PyYAML in the Synapse chroot, as Synapse does (not with the yaml package the wizard writes with). */
function pyYaml(text: string): Record<string, unknown> {
  const chroot = requireSynapseChroot();
  return JSON.parse(execFileSync('chroot', [chroot, 'python3', '-c', 'import json,sys,yaml\nprint(json.dumps(yaml.safe_load(sys.stdin.read())))'], { input: text, encoding: 'utf8' }));
}

test('setup --yes on a Debian-style cluster: role, database and database: block, verified, no secret leaked; a rerun changes nothing', async () => {
  const c = await startCluster({ extraConf: 'log_statement = all' });
  try {
    const dir = tmp();
    const cfg = homeserverYaml(dir);
    // quotes, a backslash, a dollar and a tab: every layer (YAML, SQL, argv, JSON) has to escape them
    const random = randomBytes(12).toString('base64url');
    const password = nastyPassword(random);
    const pwPath = join(dir, 'db-password');
    writeFileSync(pwPath, password + '\n', { mode: 0o600 });
    const pw = { path: pwPath, password };
    const hbaBefore = readFileSync(c.hbaFile, 'utf8');
    const args = ['setup', '--yes', '--json', '-c', cfg.path, '--db-port', String(c.port), '--db-password-file', pw.path];
    const guard = startSecretsGuard([pw.password], { roots: [dir, c.dir], allowed: [cfg.path, pw.path], pgLogs: [join(c.dir, 'server.log')] });
    const r = await runCli(args, { env: { ...c.env, ...guard.env }, watchSecrets: [pw.password] });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(stepStatuses(r.events), {
      'find-config': 'done',
      'pg-admin': 'done',
      'create-role': 'applied',
      'create-database': 'applied',
      'pg-hba': 'done',
      'database-config': 'applied',
    });
    assert.deepEqual(r.events.at(-1), { event: 'done', ok: true, message: 'All steps verified (3 applied, 3 already done or skipped).' });
    // no secret in any child's argv (every one recorded), in what the wizard printed, in a file it wrote, or in the SQL PostgreSQL received
    const report = guard.finish([r.stdout, r.stderr]);
    assert.deepEqual(report.leaks, []);
    assert.ok(report.argvs.filter((a) => a.includes('psql')).length >= 3, `the record holds the psql children: ${JSON.stringify(report.argvs)}`);
    assert.ok(report.written.includes(cfg.path), 'the config the run wrote was searched');
    assert.match(report.pgLog, /statement: .*CREATE ROLE "synapse_user" LOGIN PASSWORD 'SCRAM-SHA-256\$4096:/, 'the CREATE ROLE reached the log, with a verifier');
    assert.equal(statSync(cfg.path).mode & 0o777, 0o640, 'the config keeps its mode (no access for others)');

    assert.equal(c.psql(`SELECT pg_encoding_to_char(encoding) || ' ' || datcollate || ' ' || datctype || ' ' || pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'synapse'`), 'UTF8 C C synapse_user');
    assert.equal(await login(c, '127.0.0.1', 'synapse_user', pw.password), 'synapse_user');
    assert.equal(readFileSync(c.hbaFile, 'utf8'), hbaBefore, "Debian's pg_hba.conf already accepts passwords over TCP");

    // Only the database: block changed, byte for byte.
    const after = readFileSync(cfg.path, 'utf8');
    const start = cfg.text.indexOf('database:\n');
    const oldEnd = cfg.text.indexOf('log_config:');
    assert.equal(after.slice(0, start), cfg.text.slice(0, start));
    assert.equal(after.slice(after.indexOf('log_config:')), cfg.text.slice(oldEnd));
    assert.equal(
      after.slice(start, after.indexOf('log_config:')),
      `database:\n  name: psycopg2\n  args:\n    user: synapse_user\n    password: "Pw'\\"\\\\$\\t${random}"\n    dbname: synapse\n    host: localhost\n    port: ${c.port}\n    cp_min: 5\n    cp_max: 10\n    keepalives_idle: 10\n    keepalives_interval: 10\n    keepalives_count: 3\n`,
    );
    assert.equal((pyYaml(after).database as { args: { password: string } }).args.password, password, 'PyYAML reads the password back');
    const backups = readdirSync(dir).filter((f) => f.startsWith('homeserver.yaml.synapse-pg-'));
    assert.equal(backups.length, 1);
    assert.equal(readFileSync(join(dir, backups[0]!), 'utf8'), cfg.text, 'the backup holds the original');

    const again = await runCli(args, { env: c.env });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.deepEqual(Object.values(stepStatuses(again.events)), ['done', 'done', 'done', 'done', 'done', 'done']);
    assert.equal(readFileSync(cfg.path, 'utf8'), after, 'a rerun changes nothing');
    assert.equal(readdirSync(dir).filter((f) => f.startsWith('homeserver.yaml.synapse-pg-')).length, 1, 'and makes no new backup');
  } finally {
    c.stop();
  }
});

test('setup on a RHEL-style cluster with ident lines: inserts scram lines before them, reloads, and Synapse can log in', async () => {
  const c = await startCluster({ hba: HBA_RHEL_IDENT });
  try {
    const dir = tmp(); // no config anywhere: the block goes to a file to paste
    const pw = passwordFile(dir);
    c.psql(`CREATE ROLE probe LOGIN PASSWORD '${pw.password}'`);
    await assert.rejects(login(c, '127.0.0.1', 'probe', pw.password, 'postgres'), /Ident authentication failed/);

    const r = await runCli(['setup', '--yes', '--json', '--db-port', String(c.port), '--db-password-file', pw.path], { cwd: dir, env: { ...c.env, HOME: dir }, watchSecrets: [pw.password] });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const st = stepStatuses(r.events);
    assert.equal(st['find-config'], 'skipped');
    assert.equal(st['pg-hba'], 'applied');
    assert.equal(st['database-config'], 'applied');
    assert.deepEqual(r.leaks, []);

    const hba = readFileSync(c.hbaFile, 'utf8');
    const lines = hba.split('\n');
    const ours = lines.findIndex((l) => /^host\s+synapse\s+synapse_user\s+127\.0\.0\.1\/32\s+scram-sha-256$/.test(l));
    const ident = lines.findIndex((l) => /^host\s+all\s+all\s+127\.0\.0\.1\/32\s+ident$/.test(l));
    assert.ok(ours >= 0 && ours < ident, `our IPv4 line comes before the ident line:\n${hba}`);
    assert.ok(lines.some((l) => /^host\s+synapse\s+synapse_user\s+::1\/128\s+scram-sha-256$/.test(l)));
    assert.equal(c.psql('SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL'), '0');
    assert.equal(await login(c, '127.0.0.1', 'synapse_user', pw.password), 'synapse_user');
    assert.equal(await login(c, '::1', 'synapse_user', pw.password), 'synapse_user');
    // other users still get ident: nothing else changed
    await assert.rejects(login(c, '127.0.0.1', 'probe', pw.password, 'postgres'), /Ident authentication failed/);
    const backups = readdirSync(join(c.dir, 'data')).filter((f) => f.startsWith('pg_hba.conf.synapse-pg-'));
    assert.equal(readFileSync(join(c.dir, 'data', backups[0]!), 'utf8'), HBA_RHEL_IDENT);

    const pasted = join(dir, 'synapse-pg-database.yaml');
    assert.equal(statSync(pasted).mode & 0o777, 0o600);
    assert.deepEqual(parse(readFileSync(pasted, 'utf8')).database.args.password, pw.password);
  } finally {
    c.stop();
  }
});

test('--dry-run shows every statement and diff and changes nothing', async () => {
  const c = await startCluster({ hba: HBA_RHEL_IDENT });
  try {
    const dir = tmp();
    const cfg = homeserverYaml(dir);
    const pw = passwordFile(dir);
    const r = await runCli(['setup', '--dry-run', '--json', '-c', cfg.path, '--db-port', String(c.port), '--db-password-file', pw.path], { env: c.env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const st = stepStatuses(r.events);
    assert.equal(st['create-role'], 'planned');
    assert.equal(st['create-database'], 'planned');
    assert.equal(st['pg-hba'], 'planned');
    const plans = JSON.stringify(r.events.filter((e) => e.event === 'plan'));
    assert.match(plans, /CREATE ROLE \\"synapse_user\\" LOGIN PASSWORD/);
    assert.match(plans, /CREATE DATABASE \\"synapse\\" WITH OWNER \\"synapse_user\\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'/);
    assert.match(plans, /\+host\s+synapse\s+synapse_user\s+127\.0\.0\.1\/32\s+scram-sha-256/);
    assert.ok(!r.stdout.includes(pw.password));
    assert.equal(c.psql(`SELECT count(*) FROM pg_roles WHERE rolname = 'synapse_user'`), '0');
    assert.equal(c.psql(`SELECT count(*) FROM pg_database WHERE datname = 'synapse'`), '0');
    assert.equal(readFileSync(c.hbaFile, 'utf8'), HBA_RHEL_IDENT);
    assert.equal(readFileSync(cfg.path, 'utf8'), cfg.text);
    assert.deepEqual(readdirSync(dir).sort(), ['db-password', 'homeserver.yaml']);
  } finally {
    c.stop();
  }
});

test('an existing database with the C.UTF-8 locale is refused before anything changes, with the fix', async () => {
  const c = await startCluster();
  try {
    c.psql(`CREATE DATABASE synapse`); // inherits template1's C.UTF-8: the classic mistake
    const dir = tmp();
    const pw = passwordFile(dir);
    const r = await runCli(['setup', '--yes', '--json', '--db-port', String(c.port), '--db-password-file', pw.path], { cwd: dir, env: { ...c.env, HOME: dir } });
    assert.equal(r.code, 1);
    const failed = r.events.find((e) => e.event === 'step' && e.status === 'failed')!;
    assert.equal(failed.id, 'create-database');
    assert.equal(failed.code, 'DB_WRONG_LOCALE');
    assert.match(String(failed.message), /COLLATE is 'C.UTF-8', Synapse needs 'C' \('C.UTF-8' is not 'C'\)/);
    assert.match(String(failed.hint), /DROP DATABASE "synapse"/);
    assert.equal(c.psql(`SELECT count(*) FROM pg_roles WHERE rolname = 'synapse_user'`), '0', 'the role was not created either');
    assert.deepEqual(readdirSync(dir), ['db-password']);
  } finally {
    c.stop();
  }
});

test('an existing role: unknown password is refused with a hint; --set-password sets it and proves it', async () => {
  const c = await startCluster();
  try {
    c.psql(`CREATE ROLE synapse_user LOGIN PASSWORD 'old-password-123'`);
    const dir = tmp();
    const pw = passwordFile(dir);
    const base = ['setup', '--yes', '--json', '--db-port', String(c.port), '--db-password-file', pw.path];
    const r = await runCli(base, { cwd: dir, env: { ...c.env, HOME: dir } });
    assert.equal(r.code, 1);
    const failed = r.events.find((e) => e.event === 'step' && e.status === 'failed')!;
    assert.equal(failed.id, 'create-role');
    assert.match(String(failed.hint), /--set-password/);
    const r2 = await runCli([...base, '--set-password'], { cwd: dir, env: { ...c.env, HOME: dir }, watchSecrets: [pw.password] });
    assert.equal(r2.code, 0, r2.stdout);
    assert.equal(stepStatuses(r2.events)['create-role'], 'applied');
    assert.deepEqual(r2.leaks, []);
    assert.equal(await login(c, '127.0.0.1', 'synapse_user', pw.password), 'synapse_user');
  } finally {
    c.stop();
  }
});

test('a generated password is saved 0600 before use, and never printed', async () => {
  const c = await startCluster();
  try {
    const dir = tmp();
    const cfg = homeserverYaml(dir);
    const r = await runCli(['setup', '--yes', '--json', '-c', cfg.path, '--db-port', String(c.port)], { env: c.env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const file = join(dir, '.synapse-pg', 'db-password');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const password = readFileSync(file, 'utf8').trim();
    assert.match(password, /^[A-Za-z0-9_-]{32}$/, 'base64url');
    assert.equal(Buffer.from(password, 'base64url').length, 24, '192 bits, as the README says');
    assert.ok(!r.stdout.includes(password));
    assert.equal(parse(readFileSync(cfg.path, 'utf8')).database.args.password, password);
    assert.equal(await login(c, 'localhost', 'synapse_user', password), 'synapse_user');
  } finally {
    c.stop();
  }
});

test('a hostssl line on a server without SSL (reported by PostgreSQL, harmless) does not block setup', async () => {
  const c = await startCluster({ hba: 'local all all peer\nhostssl all all 0.0.0.0/0 scram-sha-256\nhost all all 127.0.0.1/32 ident\nhost all all ::1/128 ident\n' });
  try {
    assert.match(c.psql('SELECT error FROM pg_hba_file_rules WHERE error IS NOT NULL'), /cannot match because SSL is disabled/);
    const dir = tmp();
    const pw = passwordFile(dir);
    const r = await runCli(['setup', '--yes', '--json', '--db-port', String(c.port), '--db-password-file', pw.path], { cwd: dir, env: { ...c.env, HOME: dir } });
    assert.equal(r.code, 0, r.stdout);
    assert.equal(stepStatuses(r.events)['pg-hba'], 'applied');
    assert.equal(await login(c, '127.0.0.1', 'synapse_user', pw.password), 'synapse_user');
  } finally {
    c.stop();
  }
});

test('Ctrl-C (SIGINT) mid-run stops between atomic actions with exit 130; the next run finishes the job', async () => {
  const c = await startCluster({ hba: HBA_RHEL_IDENT });
  try {
    const dir = tmp();
    const cfg = homeserverYaml(dir);
    const pw = passwordFile(dir);
    const args = ['setup', '--yes', '--json', '-c', cfg.path, '--db-port', String(c.port), '--db-password-file', pw.path];
    let sent = false;
    const r = await runCli(args, {
      env: c.env,
      onLine: (line, child) => {
        if (!sent && line.includes('"event":"step-start","id":"create-database"')) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    assert.ok(sent);
    assert.equal(r.code, 130, r.stdout);
    const done = r.events.at(-1)!;
    assert.equal(done.event, 'done');
    assert.equal(done.ok, false);
    assert.match(String(done.hint), /again/);
    assert.equal(readFileSync(cfg.path, 'utf8'), cfg.text, 'the config was not touched');
    assert.equal(readFileSync(c.hbaFile, 'utf8'), HBA_RHEL_IDENT, 'nor pg_hba.conf');
    const again = await runCli(args, { env: c.env });
    assert.equal(again.code, 0, again.stdout);
    assert.equal(stepStatuses(again.events)['create-role'], 'done', 'the role made before the interruption is kept and verified');
    assert.equal(await login(c, '127.0.0.1', 'synapse_user', pw.password), 'synapse_user');
  } finally {
    c.stop();
  }
});

test('--dry-run on a fresh Debian-style cluster with a password to generate: every step planned or done, nothing created', async () => {
  const c = await startCluster();
  try {
    const dir = tmp();
    const cfg = homeserverYaml(dir);
    const r = await runCli(['setup', '--dry-run', '--json', '-c', cfg.path, '--db-port', String(c.port)], { env: c.env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(stepStatuses(r.events), {
      'find-config': 'done',
      'pg-admin': 'done',
      'create-role': 'planned',
      'create-database': 'planned',
      'pg-hba': 'done',
      'database-config': 'planned',
    });
    assert.match(JSON.stringify(r.events), /Generate a random password and save it to/);
    assert.deepEqual(readdirSync(dir).sort(), ['homeserver.yaml']);
    assert.equal(c.psql(`SELECT count(*) FROM pg_roles WHERE rolname = 'synapse_user'`), '0');
  } finally {
    c.stop();
  }
});
