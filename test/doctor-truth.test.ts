// The doctor's verdicts against the ground truth: psycopg2 in the real Synapse chroot connects with every database.args key;
// each broken login (REVOKE CONNECT, VALID UNTIL, CONNECTION LIMIT, NOLOGIN, sslmode without SSL, a read-only role, a stopped
// server) is named by SQLSTATE and server state, the read-only diagnosis changes nothing, and --yes fixes what is safe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startCluster } from './helpers/cluster.js';
import { runCli, type CliResult } from './helpers/cli.js';
import { requireSynapseChroot } from './helpers/synapse.js';
import { DIAGNOSES } from '../src/doctor/list.js';
import { EXPLAINS_PROBE } from '../src/doctor/unexplained.js';
import { KEEPALIVES, config, findings, pgState, pw, rewrite, sqlLit, tunedConf } from './helpers/doctor-truth.js';

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


test('doctor: every finding id that may explain a failed probe is a diagnosis the doctor runs', () => {
  const ids = new Set(DIAGNOSES.map((d) => d.id));
  for (const id of EXPLAINS_PROBE) assert.ok(ids.has(id), `${id} is in EXPLAINS_PROBE but no diagnosis has that id`);
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
    assert.match(String(r.events.at(-1)!.message), /^No problem left\. Advice left as it is: PostgreSQL's memory settings do not fit this host\./);
    assert.deepEqual(r.leaks, []);
  } finally {
    c.stop();
  }
});
