// TLS to a PostgreSQL on another host (a network namespace with ssl = on and hostssl-only pg_hba.conf): the wizard's own
// connections follow --db-sslmode/--db-sslrootcert, and certificate problems are named, with their fixes, by setup and the doctor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { startRemotePg, type RemotePg } from './helpers/netns.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'spgw-remote-tls-'));
}

function setup(r: RemotePg, dir: string, tls: string[]): Promise<Awaited<ReturnType<typeof runCli>>> {
  return runCli(['setup', '--yes', '--json', '--pg-admin', `url:${r.adminUrl}`, '--db-host', r.addr, '--db-port', String(r.port), ...tls], { cwd: dir, env: { PGPASSWORD: r.admin.password, HOME: dir } });
}

/** A config already on PostgreSQL with these TLS args, and the role it names, for the doctor to look at. */
function configOnRemote(r: RemotePg, dir: string, sslmode: string, rootcert: string, host = r.addr): string {
  r.psql(`CREATE ROLE synapse_user LOGIN PASSWORD 'Tls-test-password-1'; CREATE DATABASE synapse OWNER synapse_user TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
  const cfg = join(dir, 'homeserver.yaml');
  writeFileSync(
    cfg,
    `server_name: tls.test\nreport_stats: false\ndatabase:\n  name: psycopg2\n  args:\n    user: synapse_user\n    password: Tls-test-password-1\n    dbname: synapse\n    host: ${host}\n    port: ${r.port}\n    sslmode: ${sslmode}\n    sslrootcert: ${rootcert}\n`,
    { mode: 0o600 },
  );
  return cfg;
}

async function doctorFinding(cfg: string, dir: string): Promise<Record<string, unknown> | undefined> {
  const res = await runCli(['doctor', '--json', '--dry-run', '-c', cfg], { cwd: dir, env: { HOME: dir }, timeoutMs: 90_000 });
  return res.events.find((e) => e.event === 'finding' && e.id === 'tls-certificate');
}

test('a CA that did not sign the server certificate: setup stops at its first connection naming it; the doctor shows the issuer and the fix', async () => {
  const r = startRemotePg();
  try {
    const dir = tmp();
    const res = await setup(r, dir, ['--db-sslmode', 'verify-full', '--db-sslrootcert', r.otherCa.caFile]);
    assert.equal(res.code, 1);
    const failed = res.events.find((e) => e.event === 'step' && e.status === 'failed')!;
    assert.equal(failed.id, 'pg-admin');
    assert.equal(failed.code, 'PG_TLS');
    assert.match(String(failed.message), /not signed by a CA this connection trusts \(UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
    assert.match(String(failed.hint), /--db-sslrootcert/);

    // without any sslmode the server's hostssl-only pg_hba.conf refuses, and the hint says TLS is likely wanted
    const plain = await setup(r, dir, []);
    const f2 = plain.events.find((e) => e.event === 'step' && e.status === 'failed')!;
    assert.match(String(f2.message), /no pg_hba\.conf entry .* no encryption/);
    assert.match(String(f2.hint), /--db-sslmode verify-full/);

    const cfg = configOnRemote(r, dir, 'verify-full', r.otherCa.caFile);
    const f = await doctorFinding(cfg, dir);
    assert.ok(f, 'the doctor names the certificate problem');
    assert.match(String(f.evidence), /issuer CN=synapse-pg test CA/);
    assert.match(String(f.evidence), new RegExp(`IP Address:${r.addr.replaceAll('.', '\\.')}`));
    assert.match(String(f.cause), /not in sslrootcert/);
    assert.match(String(f.fix), /CA named CN=synapse-pg test CA/);
  } finally {
    r.stop();
  }
});

test('a certificate not issued for the address connected to: verify-full is refused with the names it lists; verify-ca passes', async () => {
  const r = startRemotePg({ san: () => 'DNS:db.example.test,IP:10.0.0.99' });
  try {
    const dir = tmp();
    const full = await setup(r, dir, ['--db-sslmode', 'verify-full', '--db-sslrootcert', r.ca.caFile, '--dry-run']);
    const failed = full.events.find((e) => e.event === 'step' && e.status === 'failed')!;
    assert.equal(failed.code, 'PG_TLS');
    assert.match(String(failed.message), /not issued for the host connected to/);
    assert.match(String(failed.hint), /subjectAltName/);

    const ca = await setup(r, dir, ['--db-sslmode', 'verify-ca', '--db-sslrootcert', r.ca.caFile, '--dry-run']);
    const admin = ca.events.find((e) => e.event === 'step' && e.id === 'pg-admin')!;
    assert.equal(admin.status, 'done', JSON.stringify(admin));
    assert.match(String(admin.message), /sslmode verify-ca/);

    const cfg = configOnRemote(r, dir, 'verify-full', r.ca.caFile);
    const f = await doctorFinding(cfg, dir);
    assert.ok(f, 'the doctor names the name mismatch');
    assert.match(String(f.evidence), /DNS:db\.example\.test, IP Address:10\.0\.0\.99/);
    assert.match(String(f.cause), /verify-full also checks that the certificate names the host/);
    assert.match(String(f.fix), /set database\.args host to a name the certificate lists/);
  } finally {
    r.stop();
  }
});

test('an sslrootcert that does not exist where Synapse runs is a finding', async () => {
  const r = startRemotePg();
  try {
    const dir = tmp();
    const cfg = configOnRemote(r, dir, 'verify-full', join(dir, 'missing-ca.crt'));
    const f = await doctorFinding(cfg, dir);
    assert.ok(f);
    assert.match(String(f.evidence), /missing-ca\.crt cannot be read: ENOENT/);
    assert.match(String(f.fix), /put the CA file where Synapse runs/);
  } finally {
    r.stop();
  }
});
