// Doctor end to end on real clusters: a healthy system has no findings; --dry-run changes nothing; auth and role failures fixed and proven by logging in.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setDatabaseSection } from '../src/config/database-block.js';
import { tunedConf } from './helpers/memory.js';
import { HBA_RHEL_IDENT, loginAs, startCluster, type Cluster } from './helpers/cluster.js';
import { runCli } from './helpers/cli.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'generated', 'homeserver.yaml');

/** Synapse's generated homeserver.yaml with a psycopg2 database: section (args given as they are). */
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function config(args: Record<string, unknown>): { path: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'spgw-doctor-'));
  dirs.push(dir);
  const text = setDatabaseSection(readFileSync(FIXTURE, 'utf8').replaceAll('/tmp/gen', dir), { name: 'psycopg2', args });
  const path = join(dir, 'homeserver.yaml');
  writeFileSync(path, text, { mode: 0o640 });
  return { path, dir };
}

const KEEPALIVES = { keepalives_idle: 10, keepalives_interval: 10, keepalives_count: 3 };


function doctor(c: Cluster, cfg: string, ...more: string[]) {
  return runCli(['doctor', '--yes', '--json', '-c', cfg, ...more], { env: c.env, timeoutMs: 240_000 });
}

function findings(events: Record<string, unknown>[]): Record<string, boolean> {
  return Object.fromEntries(events.filter((e) => e.event === 'finding').map((e) => [String(e.id), e.fixed as boolean]));
}

const login = (c: Cluster, user: string, password: string, host = '127.0.0.1', database = 'synapse') => loginAs(c, host, user, password, database);

const pw = () => randomBytes(15).toString('base64url');

function createSynapseDb(c: Cluster, user: string, password: string) {
  c.psql(`CREATE ROLE ${user} LOGIN PASSWORD '${password}'; CREATE DATABASE synapse OWNER ${user} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C';`);
}

test('doctor: a healthy system gives no findings and exit 0; missing psycopg2 (FAILURES 9) in the named tools is found', async () => {
  const c = await startCluster({ extraConf: tunedConf() });
  try {
    const password = pw();
    createSynapseDb(c, 'synapse_user', password);
    const cfg = config({ user: 'synapse_user', password, dbname: 'synapse', host: 'localhost', port: c.port, cp_min: 5, cp_max: 10, ...KEEPALIVES });
    const before = readFileSync(cfg.path, 'utf8');
    const r = await doctor(c, cfg.path);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(findings(r.events), {});
    assert.equal(r.events.at(-1)!.ok, true);
    assert.ok(!r.stdout.includes(password), 'the password never shows');
    assert.equal(readFileSync(cfg.path, 'utf8'), before);

    // Named tools whose Python has no psycopg2 (FAILURES 9), found by asking that Python: python3 without site-packages
    const bin = join(cfg.dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'python3'), '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n', { mode: 0o755 });
    const tools = await runCli(['doctor', '--yes', '--json', '-c', cfg.path, '--synapse-exec', 'local'], { env: { ...c.env, PATH: `${bin}:${process.env.PATH}` } });
    assert.equal(tools.code, 1, tools.stdout + tools.stderr);
    assert.deepEqual(findings(tools.events), { 'libpq-missing': false });
    const f = tools.events.find((e) => e.event === 'finding')!;
    assert.match(String(f.evidence), /python3 -c .*fails: ModuleNotFoundError: No module named 'psycopg2'/);
    assert.match(String(f.fix), /pip install "matrix-synapse\[postgres\]"/);
  } finally {
    c.stop();
  }
});

test('doctor: ident pg_hba.conf (FAILURES 1), missing keepalives (11); --dry-run changes nothing, --yes fixes and logs in as Synapse', async () => {
  const c = await startCluster({ hba: HBA_RHEL_IDENT, extraConf: tunedConf() });
  try {
    const password = pw();
    createSynapseDb(c, 'synapse_user', password);
    const cfg = config({ user: 'synapse_user', password, dbname: 'synapse', host: 'localhost', port: c.port });
    await assert.rejects(login(c, 'synapse_user', password), /Ident authentication failed/);
    const hba = readFileSync(c.hbaFile, 'utf8');
    const text = readFileSync(cfg.path, 'utf8');

    // A line PostgreSQL would refuse on the next reload: the doctor does not touch the file, but still names the refused login
    writeFileSync(c.hbaFile, hba + 'host all all 10.0.0.0/33 scram-sha-256\n');
    const broken = await doctor(c, cfg.path);
    assert.equal(broken.code, 1, broken.stdout);
    assert.equal(findings(broken.events)['pg-hba-auth'], false);
    const b = broken.events.find((e) => e.event === 'finding' && e.id === 'pg-hba-auth')!;
    assert.match(String(b.evidence), /Ident authentication failed.*already has errors that PostgreSQL would refuse on the next reload/);
    assert.match(String(b.fix), /Fix those lines first/);
    writeFileSync(c.hbaFile, hba);
    // keepalives was fixed in that run; put the file back to test the dry run on both findings
    writeFileSync(cfg.path, text);

    const dry = await runCli(['doctor', '--dry-run', '--json', '-c', cfg.path], { env: c.env });
    assert.equal(dry.code, 1, dry.stdout + dry.stderr);
    assert.deepEqual(findings(dry.events), { 'pg-hba-auth': false, keepalives: false });
    assert.equal(readFileSync(c.hbaFile, 'utf8'), hba);
    assert.equal(readFileSync(cfg.path, 'utf8'), text);
    assert.ok(dry.events.some((e) => e.event === 'plan' && e.id === 'keepalives'), 'the config diff is shown');
    assert.ok(!dry.stdout.includes(password), 'the password in the diff context is redacted');
    const f = dry.events.find((e) => e.event === 'finding' && e.id === 'pg-hba-auth')!;
    assert.match(String(f.evidence), /Ident authentication failed/);

    const r = await doctor(c, cfg.path);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(findings(r.events), { 'pg-hba-auth': true, keepalives: true });
    // the password line sits before the ident catch-all
    const after = readFileSync(c.hbaFile, 'utf8').split('\n');
    const ours = after.findIndex((l) => /^host\s+synapse\s+synapse_user\s+127\.0\.0\.1\/32\s+scram-sha-256/.test(l));
    const ident = after.findIndex((l) => /^host\s+all\s+all\s+127\.0\.0\.1\/32\s+ident/.test(l));
    assert.ok(ours >= 0 && ours < ident, after.join('\n'));
    assert.equal(await login(c, 'synapse_user', password), 'synapse_user');
    // keepalives added, nothing else in the file changed
    const want = setDatabaseSection(text, { name: 'psycopg2', args: { user: 'synapse_user', password, dbname: 'synapse', host: 'localhost', port: c.port, ...KEEPALIVES } });
    assert.equal(readFileSync(cfg.path, 'utf8'), want);

    const again = await doctor(c, cfg.path);
    assert.equal(again.code, 0, again.stdout);
    assert.deepEqual(findings(again.events), {});
  } finally {
    c.stop();
  }
});

test('doctor: role missing (FAILURES 4), then a wrong password (3), then peer over the socket (2)', async () => {
  const c = await startCluster({ extraConf: tunedConf() });
  try {
    const password = pw();
    c.psql(`CREATE DATABASE synapse TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
    const cfg = config({ user: 'synapse-user', password, dbname: 'synapse', host: 'localhost', port: c.port, ...KEEPALIVES });
    await assert.rejects(login(c, 'synapse-user', password), /password authentication failed/);
    const r = await doctor(c, cfg.path);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // the database was owned by postgres: the public-schema finding (5) comes with the missing role
    assert.deepEqual(findings(r.events), { 'role-missing': true, 'public-schema-permission': true });
    assert.equal(await login(c, 'synapse-user', password), 'synapse-user');
    assert.equal(c.psql(`SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'synapse'`), 'synapse-user');

    c.psql(`ALTER ROLE "synapse-user" PASSWORD 'something else'`);
    await assert.rejects(login(c, 'synapse-user', password), /password authentication failed/);
    const r2 = await doctor(c, cfg.path, '--error', 'FATAL:  password authentication failed for user "synapse-user"');
    assert.equal(r2.code, 0, r2.stdout + r2.stderr);
    assert.deepEqual(findings(r2.events), { 'role-password': true });
    assert.equal(await login(c, 'synapse-user', password), 'synapse-user');

    // No host: libpq takes the Unix socket, where the Debian pg_hba.conf says peer.
    const sock = config({ user: 'synapse-user', password, dbname: 'synapse', port: c.port, ...KEEPALIVES });
    const r3 = await doctor(c, sock.path, '--error', 'FATAL:  Peer authentication failed for user "synapse-user"');
    assert.equal(r3.code, 0, r3.stdout + r3.stderr);
    assert.deepEqual(findings(r3.events), { 'peer-socket': true });
    assert.match(readFileSync(sock.path, 'utf8'), /^ {4}host: localhost$/m);
  } finally {
    c.stop();
  }
});
