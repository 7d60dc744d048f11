// Doctor with the real Synapse (Debian sid chroot): it refuses a C.UTF-8 database (FAILURES 6: allowed by choice, then recreated) and a sequence behind stream_positions (16)
// for real; the doctor fixes both with Synapse stopped and proves it by starting Synapse. Then, back on SQLite before a port:
// the PostgreSQL database Synapse initialised (17) and pending background updates run with Synapse's own tool (12).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createExecutor } from '../src/adapters/exec.js';
import { setDatabaseSection } from '../src/config/database-block.js';
import { tunedConf } from './helpers/memory.js';
import { generateHomeserver } from '../src/sandbox/homeserver.js';
import { health } from '../src/synapse/client.js';
import { createSynctlService } from '../src/synapse/service.js';
import { freePort, startCluster } from './helpers/cluster.js';
import { runCli } from './helpers/cli.js';
import { requireSynapseChroot } from './helpers/synapse.js';

function findings(events: Record<string, unknown>[]): Record<string, boolean> {
  return Object.fromEntries(events.filter((e) => e.event === 'finding').map((e) => [String(e.id), e.fixed as boolean]));
}

/** Each finding's needsSynapseStopped, as the --json output says it. */
function stoppedFlags(events: Record<string, unknown>[]): Record<string, unknown> {
  return Object.fromEntries(events.filter((e) => e.event === 'finding').map((e) => [String(e.id), e.needsSynapseStopped]));
}

test('doctor with the real Synapse: wrong locale (allow_unsafe_locale, then recreated with its real schema), missing keepalives, stream_positions ahead of its sequence, then a target Synapse already initialised, pending background updates, a schema too new', async () => {
  const chroot = requireSynapseChroot();
  const exec = createExecutor({ kind: 'chroot', dir: chroot });
  const c = await startCluster({ extraConf: tunedConf() });
  const files = await generateHomeserver(exec, { serverName: `doctor${process.pid}.test`, port: await freePort() });
  const service = createSynctlService({ exec, configPath: files.configPathHost, baseUrl: files.baseUrl, startTimeoutMs: 120_000 });
  try {
    const password = randomBytes(15).toString('base64url');
    // CREATE DATABASE without template0: the cluster's C.UTF-8 locale, which Synapse refuses
    c.psql(`CREATE ROLE synapse_user LOGIN PASSWORD '${password}'; CREATE DATABASE synapse OWNER synapse_user`);
    const sqliteText = readFileSync(files.configPathHost, 'utf8');
    const args = { user: 'synapse_user', password, dbname: 'synapse', host: '127.0.0.1', port: c.port, cp_min: 1, cp_max: 5 };
    writeFileSync(files.configPathHost, setDatabaseSection(sqliteText, { name: 'psycopg2', args }));
    const doctor = (...more: string[]) =>
      runCli(['doctor', '--yes', '--json', '-c', files.configPathHost, '--synapse-exec', `chroot:${chroot}`, '--log', files.logPathHost, ...more], { env: c.env, timeoutMs: 300_000 });

    await assert.rejects(service.start(), { code: 'SERVICE', message: /^synctl start failed \(exit code 1\)/ }, 'Synapse refuses the C.UTF-8 database');
    assert.match(readFileSync(files.logPathHost, 'utf8'), /Database has incorrect collation of 'C.UTF-8'. Should be 'C'/);
    // The admin's choice first: allow_unsafe_locale, where Synapse reads it (it starts, and creates its schema in the C.UTF-8 database)
    const r0 = await doctor('--allow-unsafe-locale');
    assert.equal(r0.code, 0, r0.stdout + r0.stderr);
    assert.deepEqual(findings(r0.events), { 'database-locale': true, keepalives: true });
    // needsSynapseStopped in the real output: a config edit does not need Synapse stopped
    assert.deepEqual(stoppedFlags(r0.events), { 'database-locale': false, keepalives: false });
    assert.ok(r0.events.some((e) => e.event === 'log' && /Synapse started and \/health answers OK/.test(String(e.message))), r0.stdout);
    assert.equal(await health(files.baseUrl), true);
    assert.ok(Number(c.psql(`SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`, 'synapse')) > 100, 'Synapse created its schema');

    // Then the safe path on that real Synapse database: stopped, dumped, recreated with C, restored, counted, swapped
    await service.stop();
    const withKeepalives = { ...args, keepalives_idle: 10, keepalives_interval: 10, keepalives_count: 3 };
    writeFileSync(files.configPathHost, setDatabaseSection(sqliteText, { name: 'psycopg2', args: withKeepalives }));
    rmSync(files.logPathHost, { force: true });
    await assert.rejects(service.start(), { code: 'SERVICE', message: /^synctl start failed \(exit code 1\)/ }, 'without allow_unsafe_locale Synapse refuses it again');
    assert.match(readFileSync(files.logPathHost, 'utf8'), /Database has incorrect collation of 'C.UTF-8'. Should be 'C'/, 'for the locale, as its log says');
    const r1 = await doctor();
    assert.equal(r1.code, 0, r1.stdout + r1.stderr);
    assert.deepEqual(findings(r1.events), { 'database-locale': true });
    assert.deepEqual(stoppedFlags(r1.events), { 'database-locale': true }, 'recreating the database needs Synapse stopped');
    const step = r1.events.find((e) => e.event === 'step' && e.id === 'database-locale')!;
    assert.match(String(step.message), /Recreated synapse and restored it: \d+ tables, \d+ rows, every table's count equal/);
    assert.ok(r1.events.some((e) => e.event === 'log' && /Synapse started and \/health answers OK/.test(String(e.message))), r1.stdout);
    assert.equal(await health(files.baseUrl), true);
    assert.equal(c.psql(`SELECT datcollate || ' ' || datctype FROM pg_database WHERE datname = 'synapse'`), 'C C');

    // stream_positions ahead of events_stream_seq, as synapse_port_db leaves it (eh/18544)
    await service.stop();
    c.psql(`DELETE FROM stream_positions WHERE stream_name = 'events';
            INSERT INTO stream_positions (stream_name, instance_name, stream_id) SELECT 'events', 'master', last_value + 100 FROM events_stream_seq;`, 'synapse');
    rmSync(files.logPathHost, { force: true });
    await assert.rejects(service.start(), { code: 'SERVICE', message: /^synctl start failed \(exit code 1\)/ }, 'Synapse refuses the inconsistent stream position');
    assert.match(readFileSync(files.logPathHost, 'utf8'), /Postgres sequence 'events_stream_seq' is inconsistent with associated stream position\s+of 'events' in the 'stream_positions' table/);
    // no --log: the doctor reads the failed start from the file Synapse's log_config names
    const r2 = await runCli(['doctor', '--yes', '--json', '-c', files.configPathHost, '--synapse-exec', `chroot:${chroot}`], { env: c.env, timeoutMs: 300_000 });
    assert.equal(r2.code, 0, r2.stdout + r2.stderr);
    assert.ok(r2.events.some((e) => e.event === 'log' && /its last start failed; the doctor reads the errors of that start from \S+homeserver\.log/.test(String(e.message))), r2.stdout);
    assert.deepEqual(findings(r2.events), { 'stream-positions': true });
    assert.deepEqual(stoppedFlags(r2.events), { 'stream-positions': true }, 'moving a sequence needs Synapse stopped');
    const plan = r2.events.find((e) => e.event === 'plan' && e.id === 'stream-positions')!.actions as { sql: string }[];
    assert.match(plan[0]!.sql, /^SELECT setval\('events_stream_seq', \d+\);$/);
    assert.equal(await health(files.baseUrl), true, 'Synapse serves again');
    assert.equal(c.psql(`SELECT (SELECT last_value FROM events_stream_seq) >= (SELECT stream_id FROM stream_positions WHERE stream_name = 'events')`, 'synapse'), 't');

    // Back on SQLite: the PostgreSQL database Synapse initialised is in the way of a port (FAILURES 17)
    await service.stop();
    writeFileSync(files.configPathHost, sqliteText);
    // ... and its SQLite file, made by Synapse's own tool, with a background update still pending (FAILURES 12)
    const made = await exec.run(['update_synapse_database', '--database-config', files.configPathInside], { timeoutMs: 120_000 });
    assert.equal(made.exitCode, 0, made.stderr);
    const sqlite = new Database(files.sqlitePathHost);
    if (!(sqlite.prepare('SELECT count(*) AS n FROM background_updates').get() as { n: number }).n) {
      sqlite.prepare(`INSERT INTO background_updates (update_name, progress_json) VALUES ('event_store_labels', '{}')`).run();
    }
    sqlite.close();
    const r3 = await runCli(['doctor', '--yes', '--json', '-c', files.configPathHost, '--synapse-exec', `chroot:${chroot}`, '--error', 'psycopg2.errors.UniqueViolation: duplicate key value violates unique constraint "room_depth_room_id_key"'], { env: c.env, timeoutMs: 300_000 });
    assert.equal(r3.code, 0, r3.stdout + r3.stderr);
    // pending background updates are advice: the cutover runs them on its snapshots, and the live file is never written
    assert.deepEqual(findings(r3.events), { 'port-target-not-empty': true, 'sqlite-background-updates': false });
    const check = new Database(files.sqlitePathHost, { readonly: true });
    assert.ok((check.prepare('SELECT count(*) AS n FROM background_updates').get() as { n: number }).n > 0, 'the live SQLite file is left as it was');
    check.close();
    if (!(await health(files.baseUrl))) await service.start();
    assert.equal(await health(files.baseUrl), true, 'Synapse serves on SQLite again, ready for the port');

    // A schema from a newer Synapse (FAILURES 23): Synapse's own tool refuses it, and the doctor says why
    await service.stop();
    const bump = new Database(files.sqlitePathHost);
    bump.prepare('UPDATE schema_compat_version SET compat_version = 9999').run();
    bump.close();
    const refused = await exec.run(['update_synapse_database', '--database-config', files.configPathInside], { timeoutMs: 120_000 });
    assert.notEqual(refused.exitCode, 0);
    const log = join(files.dirHost, 'update.log');
    writeFileSync(log, refused.stderr + refused.stdout);
    assert.match(readFileSync(log, 'utf8'), /Cannot use this database as it is too new for the server to understand/);
    const r4 = await runCli(['doctor', '--yes', '--json', '-c', files.configPathHost, '--synapse-exec', `chroot:${chroot}`, '--log', log], { env: c.env, timeoutMs: 120_000 });
    assert.equal(r4.code, 1, r4.stdout + r4.stderr);
    // (the background update left pending above is advice, listed or not depending on whether Synapse finished it while it ran)
    const { 'sqlite-background-updates': _advice, ...problems } = findings(r4.events);
    assert.deepEqual(problems, { 'schema-too-new': false });
    assert.match(String(r4.events.find((e) => e.event === 'finding' && e.id === 'schema-too-new')!.evidence), /has schema_compat_version 9999; the Synapse at chroot \S+ understands schema versions up to \d+/);
    assert.match(String(r3.events.find((e) => e.event === 'finding')!.evidence), /Synapse schema version \d+: Synapse was started on it/);
    assert.equal(c.psql(`SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`, 'synapse'), '0');
    assert.equal(c.psql(`SELECT datcollate || ' ' || pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'synapse'`), 'C synapse_user');
  } finally {
    if (await service.isRunning().catch(() => false)) await service.stop().catch(() => undefined);
    rmSync(files.dirHost, { recursive: true, force: true });
    c.stop();
  }
});
