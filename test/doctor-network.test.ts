// Doctor on the network and the server, real clusters: listen_addresses (FAILURES 10), Docker's networks in pg_hba.conf, the wrong port, PostgreSQL 14 (8), tuning.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, connect, type Server } from 'node:net';
import { setDatabaseSection } from '../src/config/database-block.js';
import { expectedTuning } from './helpers/memory.js';
import { freePort, loginAs, startCluster, type Cluster } from './helpers/cluster.js';
import { runCli } from './helpers/cli.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'generated', 'homeserver.yaml');
const KEEPALIVES = { keepalives_idle: 10, keepalives_interval: 10, keepalives_count: 3 };

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function config(args: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'spgw-doctor-'));
  dirs.push(dir);
  const path = join(dir, 'homeserver.yaml');
  writeFileSync(path, setDatabaseSection(readFileSync(FIXTURE, 'utf8').replaceAll('/tmp/gen', dir), { name: 'psycopg2', args }), { mode: 0o640 });
  return path;
}

function findings(events: Record<string, unknown>[]): Record<string, boolean> {
  return Object.fromEntries(events.filter((e) => e.event === 'finding').map((e) => [String(e.id), e.fixed as boolean]));
}

function finding(events: Record<string, unknown>[], id: string): Record<string, unknown> {
  const f = events.find((e) => e.event === 'finding' && e.id === id);
  assert.ok(f, `finding ${id}`);
  return f;
}

function doctor(c: Cluster, cfg: string, ...more: string[]) {
  return runCli(['doctor', '--yes', '--json', '-c', cfg, ...more], { env: c.env, timeoutMs: 240_000 });
}

const login = (c: Cluster, host: string, user: string, password: string) => loginAs(c, host, user, password);

test('doctor: PostgreSQL not listening on the configured address (FAILURES 10) and untuned memory: ALTER SYSTEM, restart, pg_hba line, login', async () => {
  const c = await startCluster();
  try {
    const password = randomBytes(15).toString('base64url');
    c.psql(`CREATE ROLE synapse_user LOGIN PASSWORD '${password}'; CREATE DATABASE synapse OWNER synapse_user TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
    // 127.0.0.2 is this machine too, but the cluster listens on 127.0.0.1 and ::1 only
    const cfg = config({ user: 'synapse_user', password, dbname: 'synapse', host: '127.0.0.2', port: c.port, ...KEEPALIVES });
    await assert.rejects(login(c, '127.0.0.2', 'synapse_user', password), /ECONNREFUSED/);
    // an empty log (not the machine's own Synapse log)
    const emptyLog = join(mkdtempSync(join(tmpdir(), 'spgw-log-')), 'homeserver.log');
    writeFileSync(emptyLog, '');
    const r = await doctor(c, cfg, '--log', emptyLog);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(findings(r.events), { 'listen-addresses': true, 'pg-hba-auth': true, tuning: true });
    assert.match(String(finding(r.events, 'listen-addresses').evidence), /listen_addresses is '127\.0\.0\.1,::1', which does not include 127\.0\.0\.2/);
    const plan = r.events.find((e) => e.event === 'plan' && e.id === 'tuning')!.actions as { sql?: string; note?: string }[];
    assert.match(plan.find((a) => a.sql?.includes('shared_buffers'))!.note!, /context postmaster: needs a restart/);
    assert.match(plan.find((a) => a.sql?.includes('work_mem') && !a.sql.includes('maintenance') && !a.sql.includes('autovacuum'))!.note!, /context user: a reload is enough/);
    assert.equal(await login(c, '127.0.0.2', 'synapse_user', password), 'synapse_user');
    assert.equal(c.psql(`SHOW listen_addresses`), '127.0.0.1,::1,127.0.0.2');
    const rec = expectedTuning(50);
    for (const [name, mb] of Object.entries(rec)) assert.equal(c.psql(`SELECT pg_size_bytes(current_setting('${name}')) / 1048576`), String(mb), name);
    assert.equal(c.psql(`SELECT count(*) FROM pg_settings WHERE pending_restart`), '0');
    assert.equal((await doctor(c, cfg)).code, 0, 'a second run finds nothing');

    // Synapse in Docker: the error names a bridge address; the doctor allows Docker's networks before whatever matches now
    const docker = await doctor(c, cfg, '--error', 'FATAL:  no pg_hba.conf entry for host "172.17.0.1", user "synapse_user", database "synapse", no encryption');
    assert.equal(docker.code, 0, docker.stdout + docker.stderr);
    assert.deepEqual(findings(docker.events), { 'docker-network': true });
    assert.equal(c.psql(`SELECT auth_method FROM pg_hba_file_rules WHERE address = '172.16.0.0' AND netmask = '255.240.0.0' AND 'synapse_user' = ANY(user_name)`), 'scram-sha-256');

    // Error texts for problems this system no longer has are recognised, checked, and reported as not present
    const texts = await doctor(c, cfg, '--error', 'Synapse requires PostgreSQL 14 or above.\npsycopg2.OperationalError: connection to server at "127.0.0.2", port 5432 failed: Connection refused');
    assert.equal(texts.code, 0, texts.stdout);
    assert.deepEqual(findings(texts.events), { 'pg-too-old': true, 'listen-addresses': true });
    assert.match(String(finding(texts.events, 'pg-too-old').evidence), /points here, but the doctor's check finds it healthy now/);

    // The wrong port: named, not guessed
    const other = await freePort();
    const wrongPort = config({ user: 'synapse_user', password, dbname: 'synapse', host: 'localhost', port: other, ...KEEPALIVES });
    const wp = await doctor(c, wrongPort);
    assert.equal(wp.code, 1, wp.stdout);
    assert.deepEqual(findings(wp.events), { 'listen-addresses': false });
    assert.match(String(finding(wp.events, 'listen-addresses').evidence), new RegExp(`port ${other}, but the server the doctor administers listens on port ${c.port}`));

    // A host name that does not resolve here (inside a container, names of other containers resolve only on a shared network)
    const unresolved = config({ user: 'synapse_user', password, dbname: 'synapse', host: 'synapse-db.invalid', port: c.port, ...KEEPALIVES });
    const dns = await doctor(c, unresolved, '--error', 'psycopg2.OperationalError: could not translate host name "synapse-db.invalid" to address: Name or service not known');
    assert.equal(dns.code, 1, dns.stdout);
    assert.deepEqual(findings(dns.events), { 'listen-addresses': false });
    assert.match(String(finding(dns.events, 'listen-addresses').evidence), /The host name synapse-db\.invalid in database\.args does not resolve here/);
  } finally {
    c.stop();
  }
});

/**
 * Only PostgreSQL 15 installs here, so an older server is imitated at the wire: a TCP proxy in front of the real cluster that rewrites
 * the server_version_num it reports (same length, so every message stays valid). Synapse's config points at the proxy's port, as when
 * Synapse reaches another cluster than the admin thinks (eh/19284).
 */
function versionProxy(port: number, real: string, fake: string): Promise<{ server: Server; port: number }> {
  const from = Buffer.from(real);
  const to = Buffer.from(fake);
  return new Promise((resolve) => {
    const server = createServer((client) => {
      const upstream = connect(port, '127.0.0.1');
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.pipe(upstream);
      upstream.on('data', (chunk: Buffer) => {
        for (let i = chunk.indexOf(from); i >= 0; i = chunk.indexOf(from, i + 1)) to.copy(chunk, i);
        client.write(chunk);
      });
      upstream.on('end', () => client.end());
    });
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

test('doctor: a server older than 14 on the connection Synapse uses (FAILURES 8) is named with the version that connection reports', async () => {
  const c = await startCluster();
  try {
    const password = randomBytes(15).toString('base64url');
    c.psql(`CREATE ROLE synapse_user LOGIN PASSWORD '${password}'; CREATE DATABASE synapse OWNER synapse_user TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
    const real = c.psql('SHOW server_version_num');
    const proxy = await versionProxy(c.port, real, `13${real.slice(2)}`);
    try {
      const cfg = config({ user: 'synapse_user', password, dbname: 'synapse', host: '127.0.0.1', port: proxy.port, ...KEEPALIVES });
      const r = await doctor(c, cfg, '--error', 'RuntimeError: Synapse requires PostgreSQL 14 or above.');
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.equal(findings(r.events)['pg-too-old'], false, r.stdout);
      assert.match(String(finding(r.events, 'pg-too-old').evidence), new RegExp(`over Synapse's own connection \\(127\\.0\\.0\\.1:${proxy.port}, address 127\\.0\\.0\\.1\\) says 13${real.slice(2)}`));
    } finally {
      proxy.server.close();
    }
  } finally {
    c.stop();
  }
});
