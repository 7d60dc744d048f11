// Doctor on the database itself, real clusters: wrong locale/encoding (FAILURES 6, 7) both ways, and server_name (22).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setDatabaseSection } from '../src/config/database-block.js';
import { tunedConf } from './helpers/memory.js';
import { startCluster, type Cluster } from './helpers/cluster.js';
import { runCli } from './helpers/cli.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'generated', 'homeserver.yaml');
const KEEPALIVES = { keepalives_idle: 10, keepalives_interval: 10, keepalives_count: 3 };

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function config(args: Record<string, unknown>, serverName = 'example.org'): { path: string; text: string } {
  const dir = mkdtempSync(join(tmpdir(), 'spgw-doctor-'));
  dirs.push(dir);
  const text = setDatabaseSection(readFileSync(FIXTURE, 'utf8').replaceAll('/tmp/gen', dir).replace('"example.org"', `"${serverName}"`), { name: 'psycopg2', args });
  const path = join(dir, 'homeserver.yaml');
  writeFileSync(path, text, { mode: 0o640 });
  return { path, text };
}

function findings(events: Record<string, unknown>[]): Record<string, boolean> {
  return Object.fromEntries(events.filter((e) => e.event === 'finding').map((e) => [String(e.id), e.fixed as boolean]));
}

function doctor(c: Cluster, cfg: string, ...more: string[]) {
  return runCli(['doctor', '--yes', '--json', '-c', cfg, ...more], { env: c.env, timeoutMs: 240_000 });
}

/** Synapse-like tables with rows, created as the role (so ownership must survive the restore). */
function fill(c: Cluster, db: string, user: string) {
  c.psql(
    `SET ROLE ${user};
     CREATE TABLE users (name text PRIMARY KEY, creation_ts bigint);
     CREATE TABLE events (stream_ordering bigserial PRIMARY KEY, event_id text UNIQUE, body text);
     INSERT INTO users SELECT '@user' || i || ':example.org', i FROM generate_series(1, 250) i;
     INSERT INTO events (event_id, body) SELECT '$e' || i, repeat('x', i % 50) FROM generate_series(1, 1200) i;`,
    db,
  );
}

test('doctor: C.UTF-8 database with data (FAILURES 6) is recreated safely: dump, create C, restore, same row counts, names swapped', async () => {
  const c = await startCluster({ extraConf: tunedConf() });
  try {
    const password = randomBytes(15).toString('base64url');
    c.psql(`CREATE ROLE synapse_user LOGIN PASSWORD '${password}'; CREATE DATABASE synapse OWNER synapse_user`);
    assert.equal(c.psql(`SELECT datcollate || ' ' || datctype FROM pg_database WHERE datname = 'synapse'`), 'C.UTF-8 C.UTF-8');
    fill(c, 'synapse', 'synapse_user');
    const cfg = config({ user: 'synapse_user', password, dbname: 'synapse', host: 'localhost', port: c.port, ...KEEPALIVES });
    const r = await doctor(c, cfg.path, '--error', "Database is incorrectly configured:\n\n    - 'COLLATE' is set to 'C.UTF-8'. Should be 'C'\n    - 'CTYPE' is set to 'C.UTF-8'. Should be 'C'");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(findings(r.events), { 'database-locale': true });
    const f = r.events.find((e) => e.event === 'finding')!;
    assert.match(String(f.evidence), /COLLATE is 'C.UTF-8', Synapse needs 'C' \('C.UTF-8' is not 'C'\)/);
    assert.equal(c.psql(`SELECT pg_encoding_to_char(encoding) || ' ' || datcollate || ' ' || datctype || ' ' || pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'synapse'`), 'UTF8 C C synapse_user');
    assert.equal(c.psql(`SELECT (SELECT count(*) FROM users) || ' ' || (SELECT count(*) FROM events) || ' ' || pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'events'`, 'synapse'), '250 1200 synapse_user');
    const old = c.psql(`SELECT datname || ' ' || datcollate FROM pg_database WHERE datname LIKE 'synapse_before_doctor_%'`);
    assert.match(old, /^synapse_before_doctor_\S+ C\.UTF-8$/, 'the old database is kept');
    // the serial's sequence came along: Synapse can insert after the restore
    c.psql(`SET ROLE synapse_user; INSERT INTO events (event_id, body) VALUES ('$new', 'x')`, 'synapse');
    assert.equal((await doctor(c, cfg.path)).code, 0);
  } finally {
    c.stop();
  }
});

test('doctor: SQL_ASCII encoding (FAILURES 7) is recreated as UTF8 (superuser by URL); --allow-unsafe-locale sets allow_unsafe_locale and spells out the risk', async () => {
  const c = await startCluster({ extraConf: tunedConf() });
  try {
    const password = randomBytes(15).toString('base64url');
    c.psql(`CREATE ROLE synapse_user LOGIN PASSWORD '${password}'; CREATE DATABASE synapse OWNER synapse_user TEMPLATE template0 ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C'`);
    fill(c, 'synapse', 'synapse_user');
    const cfg = config({ user: 'synapse_user', password, dbname: 'synapse', host: 'localhost', port: c.port, ...KEEPALIVES });
    // a superuser reached by URL (a managed server): pg_dump and pg_restore run here, the password in PGPASSWORD only
    const su = randomBytes(15).toString('base64url');
    c.psql(`ALTER ROLE postgres PASSWORD '${su}'`);
    const r = await runCli(['doctor', '--yes', '--json', '-c', cfg.path, '--pg-admin', `url:postgresql://postgres@127.0.0.1:${c.port}/postgres`, '--allow-unsafe-locale'], { env: { ...c.env, PGPASSWORD: su }, watchSecrets: [su, password] });
    assert.deepEqual(r.leaks, [], 'no password in any argv');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(findings(r.events), { 'database-locale': true });
    assert.match(String(r.events.find((e) => e.event === 'finding')!.evidence), /encoding is SQL_ASCII, Synapse needs UTF8/);
    assert.equal(readFileSync(cfg.path, 'utf8'), cfg.text, 'a wrong encoding cannot be allowed: the database was recreated instead');
    assert.equal(c.psql(`SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = 'synapse'`), 'UTF8');
    assert.equal(c.psql(`SELECT count(*) FROM users`, 'synapse'), '250');

    c.psql(`CREATE DATABASE synapse2 OWNER synapse_user`);
    const cfg2 = config({ user: 'synapse_user', password, dbname: 'synapse2', host: 'localhost', port: c.port, ...KEEPALIVES });
    const dry = await runCli(['doctor', '--dry-run', '--json', '-c', cfg2.path], { env: c.env });
    assert.match(String(dry.events.find((e) => e.event === 'finding')!.fix), /--allow-unsafe-locale/, 'the safe path is the default; the other is offered');
    const u = await doctor(c, cfg2.path, '--allow-unsafe-locale');
    assert.equal(u.code, 0, u.stdout + u.stderr);
    assert.deepEqual(findings(u.events), { 'database-locale': true });
    assert.match(String(u.events.find((e) => e.event === 'finding')!.fix), /indexes no longer match: unique constraints stop holding/);
    assert.equal(
      readFileSync(cfg2.path, 'utf8'),
      setDatabaseSection(cfg2.text, { name: 'psycopg2', args: { user: 'synapse_user', password, dbname: 'synapse2', host: 'localhost', port: c.port, ...KEEPALIVES }, allow_unsafe_locale: true }),
    );
    assert.equal(c.psql(`SELECT datcollate FROM pg_database WHERE datname = 'synapse2'`), 'C.UTF-8', 'the database itself is left alone');
  } finally {
    c.stop();
  }
});

test('doctor: users of another server_name (FAILURES 22) are named, with the original name to use', async () => {
  const c = await startCluster({ extraConf: tunedConf() });
  try {
    const password = randomBytes(15).toString('base64url');
    c.psql(`CREATE ROLE synapse_user LOGIN PASSWORD '${password}'; CREATE DATABASE synapse OWNER synapse_user TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
    fill(c, 'synapse', 'synapse_user');
    const cfg = config({ user: 'synapse_user', password, dbname: 'synapse', host: 'localhost', port: c.port, ...KEEPALIVES }, 'new.example.net');
    const r = await doctor(c, cfg.path);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.deepEqual(findings(r.events), { 'server-name': false });
    const f = r.events.find((e) => e.event === 'finding')!;
    assert.match(String(f.evidence), /server_name in the config is new\.example\.net, but the users in PostgreSQL database synapse belong to example\.org/);
    assert.match(String(f.fix), /set server_name back to example\.org/);
    assert.equal(readFileSync(cfg.path, 'utf8'), cfg.text);
  } finally {
    c.stop();
  }
});
