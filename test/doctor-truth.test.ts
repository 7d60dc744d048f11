// The doctor's verdicts against the ground truth: psycopg2 in the real Synapse chroot connects with every database.args key;
// each broken login (REVOKE CONNECT, VALID UNTIL, CONNECTION LIMIT, NOLOGIN, sslmode without SSL, a read-only role, a stopped
// server) is named by SQLSTATE and server state, the read-only diagnosis changes nothing, and --yes fixes what is safe.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setDatabaseSection } from '../src/config/database-block.js';
import { hostMemory, recommend } from '../src/doctor/tuning.js';
import { startCluster, type Cluster } from './helpers/cluster.js';
import { runCli, type CliResult } from './helpers/cli.js';
import { requireSynapseChroot } from './helpers/synapse.js';
import { digestDatabase } from './helpers/pg-digest.js';
import { DIAGNOSES } from '../src/doctor/list.js';
import { EXPLAINS_PROBE } from '../src/doctor/unexplained.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'generated', 'homeserver.yaml');
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const KEEPALIVES = { keepalives_idle: 10, keepalives_interval: 10, keepalives_count: 3 };
const tunedConf = (maxConnections = 50) => Object.entries(recommend(hostMemory(), maxConnections)).map(([k, v]) => `${k} = '${v}MB'`).join('\n');
/** A password holding every character that breaks naive quoting: ' " \ $ and a tab. */
const pw = () => `a'b"c\\d$e\tf${randomBytes(6).toString('base64url')}`;
const sqlLit = (s: string) => `'${s.replace(/'/g, "''")}'`;

function config(args: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'spgw-truth-'));
  dirs.push(dir);
  const path = join(dir, 'homeserver.yaml');
  writeFileSync(path, setDatabaseSection(readFileSync(FIXTURE, 'utf8').replaceAll('/tmp/gen', dir), { name: 'psycopg2', args }), { mode: 0o640 });
  return path;
}

function rewrite(path: string, args: Record<string, unknown>): void {
  writeFileSync(path, setDatabaseSection(readFileSync(path, 'utf8'), { name: 'psycopg2', args }));
}

function findings(r: CliResult): Record<string, { fixed: boolean; severity: string; evidence: string; fix: string }> {
  return Object.fromEntries(r.events.filter((e) => e.event === 'finding').map((e) => [String(e.id), { fixed: e.fixed as boolean, severity: String(e.severity), evidence: String(e.evidence), fix: String(e.fix) }]));
}

/** Everything the read-only diagnosis must leave as it was: roles, databases, settings, Synapse's data. */
async function pgState(c: Cluster, password: string): Promise<string> {
  const cat = c.psql(`SELECT rolname, rolcanlogin, rolconnlimit, rolvaliduntil, rolpassword FROM pg_authid ORDER BY 1; SELECT datname, datacl, datconnlimit FROM pg_database ORDER BY 1; SELECT name, setting FROM pg_settings WHERE source NOT IN ('default', 'override') ORDER BY 1;`);
  const data = await digestDatabase({ host: c.socketDir, port: c.port, user: 'postgres', database: 'synapse' }).catch(() => undefined);
  return JSON.stringify({ cat: cat.replace(password, '<pw>'), data });
}

test('doctor: psycopg2 in the Synapse chroot is the ground truth; each refused login is named by SQLSTATE and state; --json alone changes nothing; --yes fixes and proves it', async () => {
  const chroot = requireSynapseChroot();
  const c = await startCluster({ extraConf: tunedConf() });
  try {
    const password = pw();
    c.psql(`CREATE ROLE synapse_user LOGIN PASSWORD ${sqlLit(password)}; CREATE DATABASE synapse OWNER synapse_user TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C';`);
    c.psql(`CREATE TABLE schema_version (lock CHAR(1) NOT NULL DEFAULT 'X' UNIQUE, version INT NOT NULL, upgraded BOOL NOT NULL); INSERT INTO schema_version (version, upgraded) VALUES (88, true); ALTER TABLE schema_version OWNER TO synapse_user;`, 'synapse');
    const args = { user: 'synapse_user', password, dbname: 'synapse', host: '127.0.0.1', port: c.port, cp_min: 5, cp_max: 10, sslmode: 'prefer', application_name: 'synapse', connect_timeout: 10, ...KEEPALIVES };
    const cfg = config(args);
    const doctor = (...more: string[]) => runCli(['doctor', '--json', '-c', cfg, '--synapse-exec', `chroot:${chroot}`, ...more], { env: c.env, timeoutMs: 240_000, watchSecrets: [password] });
    const noLeak = (r: CliResult) => {
      assert.deepEqual(r.leaks, [], 'no child process had the password in its argv');
      for (const enc of [password, JSON.stringify(password).slice(1, -1), encodeURIComponent(password)]) assert.ok(!r.stdout.includes(enc) && !r.stderr.includes(enc), 'the password shows in no encoding');
    };

    // Healthy: the probe passes with psycopg2 from the chroot, read-only --json exits 0
    const healthy = await doctor();
    assert.equal(healthy.code, 0, healthy.stdout + healthy.stderr);
    assert.deepEqual(findings(healthy), {});
    const first = healthy.events.find((e) => e.event === 'log' && e.id === 'synapse-probe')!;
    assert.match(String(first.message), /Connected as synapse_user with psycopg2 2\.\d+\.\d+ .* via chroot .* with database\.args user, password, dbname, host, port, sslmode, application_name, connect_timeout, keepalives_idle/);
    assert.match(String(first.message), /read schema_version \(88\)/);
    assert.match(String(healthy.events.at(-1)!.message), /^No known problem found\. Synapse connects, reads and writes \(psycopg2/);
    noLeak(healthy);
    assert.equal(c.psql(`SELECT count(*) FROM pg_class WHERE relname = 'synapse_pg_wizard_probe'`, 'synapse'), '0', 'the probe write was rolled back');

    const cases: { name: string; brk: string; id: string; sqlstate: string; db?: string; not?: string[] }[] = [
      { name: 'REVOKE CONNECT', brk: 'REVOKE CONNECT ON DATABASE synapse FROM PUBLIC, synapse_user', id: 'connect-revoked', sqlstate: '42501' },
      { name: 'VALID UNTIL', brk: `ALTER ROLE synapse_user VALID UNTIL '2001-01-01'`, id: 'role-expired', sqlstate: '28P01', not: ['role-password'] },
      { name: 'CONNECTION LIMIT 0', brk: 'ALTER ROLE synapse_user CONNECTION LIMIT 0', id: 'connection-limit', sqlstate: '53300' },
      { name: 'NOLOGIN', brk: 'ALTER ROLE synapse_user NOLOGIN', id: 'role-nologin', sqlstate: '28000', not: ['role-password'] },
    ];
    for (const k of cases) {
      c.psql(k.brk);
      const text = readFileSync(cfg, 'utf8');
      const before = await pgState(c, password);
      const r = await doctor();
      assert.equal(r.code, 1, `${k.name}: ${r.stdout}${r.stderr}`);
      const f = findings(r);
      assert.ok(f[k.id], `${k.name}: ${JSON.stringify(f)}`);
      assert.equal(f[k.id]!.fixed, false);
      assert.equal(f[k.id]!.severity, 'problem');
      assert.match(f[k.id]!.evidence, new RegExp(`SQLSTATE ${k.sqlstate}`), k.name);
      assert.ok(!f.unexplained, `${k.name} is explained`);
      for (const n of k.not ?? []) assert.ok(!f[n], `${k.name} is not ${n}`);
      assert.equal(readFileSync(cfg, 'utf8'), text, `${k.name}: the config is untouched`);
      assert.equal(await pgState(c, password), before, `${k.name}: the read-only diagnosis changed nothing in PostgreSQL`);
      noLeak(r);

      const fixed = await doctor('--yes');
      assert.equal(fixed.code, 0, `${k.name} --yes: ${fixed.stdout}${fixed.stderr}`);
      assert.equal(findings(fixed)[k.id]!.fixed, true);
      const again = fixed.events.filter((e) => e.event === 'log' && e.id === 'synapse-probe').at(-1)!;
      assert.match(String(again.message), /^After the fixes, connecting as Synapse does: Connected as synapse_user with psycopg2/, k.name);
      noLeak(fixed);
    }

    // A failure no diagnosis knows (a read-only role): quoted with its SQLSTATE, exit 1, never "no known problem"
    c.psql('ALTER ROLE synapse_user SET default_transaction_read_only = on');
    const odd = await doctor();
    assert.equal(odd.code, 1, odd.stdout);
    const u = findings(odd).unexplained!;
    assert.match(u.evidence, /Failed at the rolled-back write \(SQLSTATE 25006\) with psycopg2 .*: "cannot execute CREATE TABLE in a read-only transaction"/);
    assert.match(u.evidence, /Checked and found healthy or not applicable: .*connect-revoked.*role-expired/);
    c.psql('ALTER ROLE synapse_user RESET default_transaction_read_only');

    // Text the doctor does not know: an explicit "not recognised" with what to collect
    const unknown = await doctor('--error', 'frobnicator exploded: E_WIBBLE 42');
    assert.equal(unknown.code, 1, unknown.stdout);
    assert.deepEqual(Object.keys(findings(unknown)), ['error-not-recognised']);
    assert.match(findings(unknown)['error-not-recognised']!.fix, /SQLSTATE/);

    // sslmode: require against a server without SSL: a problem the doctor names but does not "fix" by weakening sslmode
    rewrite(cfg, { ...args, sslmode: 'require' });
    const ssl = await doctor('--yes');
    assert.equal(ssl.code, 1, ssl.stdout);
    assert.equal(findings(ssl)['ssl-mismatch']?.fixed, false);
    assert.match(findings(ssl)['ssl-mismatch']!.evidence, /sslmode: require; SHOW ssl on the server says off\. Connecting as Synapse does: Failed at connecting .*server does not support SSL, but SSL was required/);
    assert.ok(readFileSync(cfg, 'utf8').includes('sslmode: require'));
    rewrite(cfg, args);

    // PostgreSQL stopped: named, with how it is started here; no leaked TypeError
    c.stopServer();
    const down = await doctor();
    assert.equal(down.code, 1, down.stdout);
    assert.ok(findings(down)['postgres-down'], down.stdout);
    assert.match(findings(down)['postgres-down']!.evidence, /Nothing accepts connections on 127\.0\.0\.1:\d+ \(ECONNREFUSED\)\. Connecting as Synapse does: Failed at connecting/);
    assert.match(findings(down)['postgres-down']!.fix, /pg_lsclusters|start/);
    assert.ok(!/Cannot read properties of undefined/.test(down.stdout + down.stderr), down.stdout);
    assert.ok(!findings(down).unexplained);
  } finally {
    c.stop();
  }
});

/** A German locale for the server's messages: installed, or generated with localedef from the locales data on this host. */
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

test('doctor: every finding id that may explain a failed probe is a diagnosis the doctor runs', () => {
  const ids = new Set(DIAGNOSES.map((d) => d.id));
  for (const id of EXPLAINS_PROBE) assert.ok(ids.has(id), `${id} is in EXPLAINS_PROBE but no diagnosis has that id`);
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

test('doctor: a healthy system with distribution-default memory settings exits 0, with the tuning advice listed (read-only and declined alike)', async () => {
  const c = await startCluster();
  try {
    const password = pw();
    c.psql(`CREATE ROLE synapse_user LOGIN PASSWORD ${sqlLit(password)}; CREATE DATABASE synapse OWNER synapse_user TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C';`);
    const cfg = config({ user: 'synapse_user', password, dbname: 'synapse', host: '127.0.0.1', port: c.port, cp_max: 10, ...KEEPALIVES });
    const r = await runCli(['doctor', '--json', '-c', cfg], { env: c.env, timeoutMs: 120_000, watchSecrets: [password] });
    assert.equal(r.code, 0, r.stdout);
    const f = findings(r);
    assert.deepEqual(Object.keys(f), ['tuning']);
    assert.equal(f.tuning!.severity, 'advice');
    assert.match(String(r.events.at(-1)!.message), /^No problem left\. Advice left as it is: tuning\./);
    assert.deepEqual(r.leaks, []);
  } finally {
    c.stop();
  }
});
