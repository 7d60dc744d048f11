// The pure parts of "PostgreSQL on another host": the grant PostgreSQL 15 and 16+ need, the printed pg_hba.conf line,
// sslmode as libpq means it, and the TLS flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodePgSsl, tlsFromUrl } from '../src/adapters/pg-tls.js';
import { parseCommandLine } from '../src/cli/args.js';
import { setupOptions } from '../src/commands/options.js';
import { grantToAdminSql } from '../src/pg/role.js';
import { hbaLineFor, refusedHost } from '../src/setup/remote-hba.js';
import type { SetupContext } from '../src/setup/context.js';

test('the grant that lets a CREATEROLE admin hand ownership: membership before 16, the SET option without INHERIT from 16', () => {
  assert.equal(grantToAdminSql('synapse_user', 'doadmin', 150008), 'GRANT "synapse_user" TO "doadmin"');
  assert.equal(grantToAdminSql('synapse_user', 'doadmin', 160000), 'GRANT "synapse_user" TO "doadmin" WITH INHERIT FALSE, SET TRUE');
  assert.equal(grantToAdminSql('syn"apse', 'Admin', 170002), 'GRANT "syn""apse" TO "Admin" WITH INHERIT FALSE, SET TRUE');
});

test('the pg_hba.conf line: the address the server saw, hostssl with TLS, the server\'s password method, quoted names', () => {
  const ctx = (tls: boolean, enc = 'scram-sha-256', user = 'synapse_user') =>
    ({ opts: { dbName: 'synapse', dbUser: user, dbTls: tls ? { sslmode: 'verify-full' } : undefined }, server: { passwordEncryption: enc } }) as unknown as SetupContext;
  assert.equal(hbaLineFor(ctx(true), '10.1.2.3'), 'hostssl    synapse    synapse_user    10.1.2.3/32    scram-sha-256');
  assert.equal(hbaLineFor(ctx(false, 'md5'), '2001:db8::5'), 'host    synapse    synapse_user    2001:db8::5/128    md5');
  assert.equal(hbaLineFor(ctx(true, 'scram-sha-256', 'Synapse'), '10.1.2.3'), 'hostssl    synapse    "Synapse"    10.1.2.3/32    scram-sha-256');
  assert.equal(refusedHost('no pg_hba.conf entry for host "10.213.9.1", user "synapse_user", database "synapse", SSL encryption'), '10.213.9.1');
  assert.equal(refusedHost('password authentication failed for user "x"'), undefined);
});

test('sslmode as libpq means it: require encrypts only, verify-ca checks the chain, verify-full the name too', () => {
  assert.equal(nodePgSsl(undefined), undefined);
  assert.equal(nodePgSsl({ sslmode: 'prefer' }), undefined);
  assert.equal(nodePgSsl({ sslmode: 'disable' }), false);
  assert.deepEqual(nodePgSsl({ sslmode: 'require' }), { rejectUnauthorized: false });
  const ca = nodePgSsl({ sslmode: 'verify-ca', sslrootcert: '/etc/hostname' }) as { rejectUnauthorized: boolean; checkServerIdentity: () => unknown };
  assert.equal(ca.rejectUnauthorized, true);
  assert.equal(ca.checkServerIdentity(), undefined, 'verify-ca does not check the name');
  const full = nodePgSsl({ sslmode: 'verify-full', sslrootcert: '/etc/hostname' }, 'db.example.org') as { servername?: string; rejectUnauthorized: boolean };
  assert.equal(full.servername, 'db.example.org');
  assert.equal(full.rejectUnauthorized, true);
  assert.throws(() => nodePgSsl({ sslmode: 'verify-full', sslrootcert: '/nonexistent/ca.crt' }), /sslrootcert \/nonexistent\/ca\.crt cannot be read: ENOENT/);
  const u = tlsFromUrl('postgresql://admin@db.example.org/postgres?sslmode=verify-full&sslrootcert=/etc/ca.crt&application_name=x');
  assert.deepEqual(u.tls, { sslmode: 'verify-full', sslrootcert: '/etc/ca.crt' });
  assert.equal(u.url, 'postgresql://admin@db.example.org/postgres?application_name=x');
});

test('--db-sslmode and --db-sslrootcert: checked, and carried to the admin URL connection', () => {
  const opts = (...argv: string[]) => setupOptions(parseCommandLine(['setup', ...argv]), {});
  const o = opts('--pg-admin', 'url:postgresql://a@db/postgres', '--db-sslmode', 'verify-full', '--db-sslrootcert', '/etc/ca.crt');
  assert.deepEqual(o.dbTls, { sslmode: 'verify-full', sslrootcert: '/etc/ca.crt' });
  assert.deepEqual(o.pgAdmin, { kind: 'url', url: 'postgresql://a@db/postgres', tls: { sslmode: 'verify-full', sslrootcert: '/etc/ca.crt' } });
  assert.throws(() => opts('--db-sslmode', 'verify-full'), /needs --db-sslrootcert FILE/);
  assert.throws(() => opts('--db-sslmode', 'sometimes'), /is not an sslmode/);
  assert.throws(() => opts('--db-sslrootcert', '/etc/ca.crt'), /needs --db-sslmode/);
  assert.throws(() => opts('--db-sslmode', 'require', '--db-sslrootcert', 'ca.crt'), /not an absolute path/);
  assert.equal(opts().dbTls, undefined);
});
