// The doctor on server states beyond a refused login: a server speaking German, max_connections below Synapse's pool and every
// slot held (53300), a sequence behind its table, a schema newer than the installed Synapse, database.name "postgresql".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { setDatabaseSection } from '../src/config/database-block.js';
import { startCluster } from './helpers/cluster.js';
import { runCli } from './helpers/cli.js';
import { requireSynapseChroot } from './helpers/synapse.js';
import { KEEPALIVES, config, findings, pgState, pw, rewrite, sqlLit, tunedConf } from './helpers/doctor-truth.js';

function germanLocale(): string {
  const have = execFileSync('locale', ['-a'], { encoding: 'utf8' });
  if (!/^de_DE\.utf8$/im.test(have)) execFileSync('localedef', ['-i', 'de_DE', '-f', 'UTF-8', 'de_DE.UTF-8'], { stdio: 'pipe' });
  return 'de_DE.UTF-8';
}

test('doctor: a server speaking German (lc_messages) maps to the same findings by SQLSTATE, and a German --error text is read through PostgreSQL\'s own catalog', async () => {
  const chroot = requireSynapseChroot();
  const c = await startCluster({ extraConf: `${tunedConf()}\nlc_messages = '${germanLocale()}'` });
  try {
    const password = pw();
    c.psql(`CREATE ROLE synapse_user LOGIN PASSWORD ${sqlLit(password)} VALID UNTIL '2001-01-01'; CREATE DATABASE synapse OWNER synapse_user TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C';`);
    const cfg = config({ user: 'synapse_user', password, dbname: 'synapse', host: '127.0.0.1', port: c.port, cp_max: 10, ...KEEPALIVES });
    const doctor = (...more: string[]) => runCli(['doctor', '--json', '-c', cfg, '--synapse-exec', `chroot:${chroot}`, ...more], { env: c.env, timeoutMs: 240_000 });
    const r = await doctor();
    assert.equal(r.code, 1, r.stdout);
    const f = findings(r);
    assert.match(f['role-expired']!.evidence, /SQLSTATE 28P01.*Passwort-Authentifizierung für Benutzer »synapse_user« fehlgeschlagen/);
    assert.ok(!f['role-password'] && !f.unexplained, JSON.stringify(f));

    const german = 'FATAL:  Passwort-Authentifizierung für Benutzer »synapse_user« fehlgeschlagen';
    const t = await doctor('--error', german);
    assert.equal(t.code, 1, t.stdout);
    const tf = findings(t);
    assert.ok(tf['role-expired'] && !tf['error-not-recognised'], JSON.stringify(tf));
    // the text points at the password; the state shows the password is right and names the expiry instead
    assert.match(tf['role-password']!.evidence, /password authentication failed for user "synapse_user" \(PostgreSQL's English for: FATAL: {2}Passwort-Authentifizierung/);
    assert.match(tf['role-password']!.evidence, /finds it healthy now/);

    const fixed = await doctor('--yes');
    assert.equal(fixed.code, 0, fixed.stdout);
    assert.equal(findings(fixed)['role-expired']!.fixed, true);
  } finally {
    c.stop();
  }
});

test('doctor: max_connections below Synapse\'s pool plus the reserved slots, and "too many clients" (53300) with every slot held', async () => {
  const c = await startCluster({ extraConf: `${tunedConf(8)}\nmax_connections = 8\nsuperuser_reserved_connections = 3` });
  const held: pg.Client[] = [];
  try {
    const password = pw();
    c.psql(`CREATE ROLE synapse_user LOGIN PASSWORD ${sqlLit(password)}; CREATE DATABASE synapse OWNER synapse_user TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'; CREATE ROLE other LOGIN PASSWORD 'other';`);
    const args = { user: 'synapse_user', password, dbname: 'synapse', host: '127.0.0.1', port: c.port, cp_min: 2, cp_max: 10, ...KEEPALIVES };
    const cfg = config(args);
    const doctor = (...more: string[]) => runCli(['doctor', '--json', '-c', cfg, ...more], { env: c.env, timeoutMs: 240_000 });
    const before = await pgState(c, password);
    const r = await doctor();
    assert.equal(r.code, 1, r.stdout);
    const f = findings(r)['max-connections']!;
    assert.match(f.evidence, /max_connections is 8, 3 of them reserved for superusers, so 5 are left for everyone else; Synapse's pool opens up to 10 \(cp_max\)/);
    assert.match(f.fix, /ALTER SYSTEM SET max_connections = 33, then restart PostgreSQL/);
    assert.equal(await pgState(c, password), before, 'the diagnosis changed nothing');
    const fixed = await doctor('--yes');
    assert.equal(fixed.code, 0, fixed.stdout);
    assert.equal(findings(fixed)['max-connections']!.fixed, true);
    assert.equal(c.psql('SHOW max_connections'), '33');

    // A pool that fits, but other clients hold every unreserved slot: the probe's 53300 names it
    c.psql('ALTER SYSTEM SET max_connections = 8');
    c.stopServer();
    c.startServer();
    rewrite(cfg, { ...args, cp_max: 3 });
    for (let i = 0; i < 5; i++) {
      const h = new pg.Client({ host: '127.0.0.1', port: c.port, user: 'other', password: 'other', database: 'postgres' });
      await h.connect();
      held.push(h);
    }
    const full = await doctor();
    assert.equal(full.code, 1, full.stdout);
    const ff = findings(full)['max-connections']!;
    assert.match(ff.evidence, /and \d+ are in use now \(other 5/);
    assert.match(ff.evidence, /SQLSTATE 53300/);
    assert.ok(!findings(full).unexplained);
  } finally {
    await Promise.all(held.map((h) => h.end().catch(() => undefined)));
    c.stop();
  }
});

test('doctor: a sequence behind its table, a schema newer than the installed Synapse, and database.name "postgresql"', async () => {
  const chroot = requireSynapseChroot();
  const c = await startCluster({ extraConf: tunedConf() });
  try {
    const password = pw();
    c.psql(`CREATE ROLE synapse_user LOGIN PASSWORD ${sqlLit(password)}; CREATE DATABASE synapse OWNER synapse_user TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C';`);
    c.psql(`SET ROLE synapse_user; CREATE TABLE state_groups (id BIGINT PRIMARY KEY, room_id TEXT, event_id TEXT); CREATE SEQUENCE state_group_id_seq; INSERT INTO state_groups SELECT g, '!r:x', '$e' || g FROM generate_series(1, 100) g; SELECT setval('state_group_id_seq', 40);`, 'synapse');
    const args = { user: 'synapse_user', password, dbname: 'synapse', host: '127.0.0.1', port: c.port, cp_max: 10, ...KEEPALIVES };
    const cfg = config(args);
    const doctor = (...more: string[]) => runCli(['doctor', '--json', '-c', cfg, '--synapse-exec', `chroot:${chroot}`, ...more], { env: c.env, timeoutMs: 240_000 });

    const r = await doctor();
    assert.equal(r.code, 1, r.stdout);
    assert.match(findings(r)['sequence-behind-table']!.evidence, /sequence state_group_id_seq is at 40, but state_groups\.id reaches 100/);
    // Synapse must be stopped for this fix: on this host (no --synapse-exec) synctl's pid_file shows it is not running
    const fixed = await runCli(['doctor', '--json', '--yes', '-c', cfg], { env: c.env, timeoutMs: 240_000 });
    assert.equal(findings(fixed)['sequence-behind-table']?.fixed, true, fixed.stdout);
    assert.equal(c.psql(`SELECT last_value FROM state_group_id_seq`, 'synapse'), '100');

    // a schema written by a newer Synapse than the one in the chroot
    c.psql(`SET ROLE synapse_user; CREATE TABLE schema_compat_version (lock CHAR(1) NOT NULL DEFAULT 'X' UNIQUE, compat_version INT NOT NULL); INSERT INTO schema_compat_version (compat_version) VALUES (9999);`, 'synapse');
    const newer = await doctor();
    assert.equal(newer.code, 1, newer.stdout);
    assert.match(findings(newer)['schema-too-new']!.evidence, /has schema_compat_version 9999; the Synapse at chroot .* understands schema versions up to \d+/);
    c.psql('DROP TABLE schema_compat_version', 'synapse');

    // database.name is the connector, not the product: postgresql is refused by Synapse; --yes writes psycopg2 and the probe proves it
    writeFileSync(cfg, setDatabaseSection(readFileSync(cfg, 'utf8'), { name: 'postgresql', args }));
    const name = await doctor();
    assert.equal(name.code, 1, name.stdout);
    assert.match(findings(name)['database-engine-name']!.evidence, /database\.name: postgresql; Synapse accepts only psycopg2 \(PostgreSQL\) and sqlite3, and stops with "Unsupported database engine 'postgresql'"/);
    const named = await doctor('--yes');
    assert.equal(findings(named)['database-engine-name']?.fixed, true, named.stdout);
    assert.match(readFileSync(cfg, 'utf8'), /^ {2}name: psycopg2$/m);
    const after = await doctor();
    assert.equal(after.code, 0, after.stdout);
  } finally {
    c.stop();
  }
});
