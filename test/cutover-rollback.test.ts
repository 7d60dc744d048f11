// The cutover's failure paths, created for real on practice homeservers: preflight findings (auto_vacuum, a pending background
// update, a target database Synapse's own code already set up); on a homeserver of its own, a start on PostgreSQL that fails (the
// role's password changed before the port is verified), a rollback killed half way and finished by the rerun, a new attempt
// SIGKILLed in phase 2 that completes on rerun, and a Synapse that served on PostgreSQL, which is never rolled back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { parse } from 'yaml';
import { health } from '../src/synapse/client.js';
import { startPracticeHomeserver, type PracticeHomeserver } from './helpers/synapse.js';
import { adminEnv, cutoverFlags, describeRun, done, logs, psql, runWizard, sha256, stepEvent } from './cutover-helpers.js';

let hs: PracticeHomeserver;
let tmp: string;
let pwFile: string;

before(async () => {
  hs = await startPracticeHomeserver({ postgres: true, users: 2, rooms: 1, messages: 10 });
  tmp = mkdtempSync(join(tmpdir(), 'spgw-cutover-rb-'));
  pwFile = join(tmp, 'db-password');
});

after(async () => {
  await hs?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function inChroot(h: PracticeHomeserver, argv: string[]): { status: number | null; out: string } {
  const r = spawnSync('chroot', [h.state.chrootDir, ...argv], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}


test('--dry-run shows the whole plan and writes nothing; tools missing where --synapse-exec points are a finding', { timeout: 60_000 }, async () => {
  const dir = dirname(hs.configPath);
  const run = await runWizard([...cutoverFlags(hs, pwFile), '--dry-run'], undefined, adminEnv(hs));
  assert.equal(run.code, 0, describeRun(run));
  for (const id of ['create-role', 'create-database', 'snapshot', 'postgres-config', 'port-snapshot', 'stop-synapse', 'final-snapshot', 'port-final', 'verify-port', 'swap-config', 'start-synapse']) {
    assert.equal(stepEvent(run, id)?.status, 'planned', `${id}: ${describeRun(run)}`);
  }
  const port = run.events.find((e) => e.event === 'plan' && e.id === 'port-snapshot') as unknown as { actions: { argv?: string[] }[] };
  // The default engine: the installed synapse_port_db's own preparation through the driver, then COPY.
  assert.deepEqual(port.actions[0]!.argv!.slice(0, 4), ['chroot', hs.state.chrootDir, 'env', 'PYTHONUNBUFFERED=1']);
  assert.deepEqual(port.actions[0]!.argv!.slice(5, 8), ['-', 'synapse_port_db-copy-driver', 'prepare']);
  assert.match([...logs(run, 'preflight'), stepEvent(run, 'preflight')?.message ?? ''].join('\n'), /Engine: copy \(COPY, with the rules of the installed synapse_port_db 1\.\d+/);
  const byScript = await runWizard([...cutoverFlags(hs, pwFile), '--dry-run', '--engine', 'port-db'], undefined, adminEnv(hs));
  const portDb = byScript.events.find((e) => e.event === 'plan' && e.id === 'port-snapshot') as unknown as { actions: { argv?: string[] }[] };
  assert.deepEqual(portDb.actions[0]!.argv!.slice(0, 5), ['chroot', hs.state.chrootDir, 'env', 'PYTHONUNBUFFERED=1', 'synapse_port_db']);
  assert.ok(!portDb.actions[0]!.argv!.includes('--curses'));
  const wrong = await runWizard([...cutoverFlags(hs, pwFile), '--dry-run', '--engine', 'fast'], undefined, adminEnv(hs));
  assert.equal(wrong.code, 2, describeRun(wrong));
  assert.equal(done(wrong)?.message, '--engine "fast" is not an engine.');
  assert.match(String(done(wrong)?.hint), /--engine copy .* --engine port-db/);
  // The plan shows the database block change only: the rest of the config holds other secrets.
  const cfgPlan = run.events.find((e) => e.event === 'plan' && e.id === 'postgres-config') as unknown as { actions: { diff?: string }[] };
  assert.match(cfgPlan.actions[0]!.diff!, /^-  name: sqlite3$/m);
  assert.match(cfgPlan.actions[0]!.diff!, /^\+  name: psycopg2$/m);
  assert.doesNotMatch(cfgPlan.actions[0]!.diff!, /macaroon_secret_key|form_secret/);
  for (const f of ['.synapse-pg', 'homeserver-postgres.yaml', 'synapse-pg-snapshot', 'homeserver-old-sqlite.yaml']) assert.equal(existsSync(join(dir, f)), false, `${f} was written by a dry run`);
  assert.equal(existsSync(pwFile), false);
  assert.equal(Number(psql(hs, `SELECT count(*) FROM pg_database WHERE datname = 'synapse'`)), 0);
  assert.ok(await health(hs.baseUrl));

  // --sandbox reads the practice homeserver's state file instead of flags.
  const sb = await runWizard(['cutover', '--sandbox', '--state-dir', hs.stateDir, '--dry-run', '--json']);
  assert.equal(sb.code, 0, describeRun(sb));
  assert.equal(stepEvent(sb, 'preflight')?.status, 'done');
  assert.equal(stepEvent(sb, 'port-snapshot')?.status, 'planned');
  const sbStatus = await runWizard(['sandbox', 'status', '--state-dir', hs.stateDir, '--json']);
  assert.match(String(done(sbStatus)?.message), /Synapse running and healthy at http:\/\/127\.0\.0\.1:\d+; PostgreSQL running/);

  // The host has no Synapse: --synapse-exec local finds no synapse_port_db, and says where to point it.
  const local = await runWizard([...cutoverFlags(hs, pwFile).map((a) => (a === `chroot:${hs.state.chrootDir}` ? 'local' : a)), '--dry-run'], undefined, adminEnv(hs));
  assert.equal(local.code, 1);
  assert.match(stepEvent(local, 'preflight')!.message!, /synapse_port_db is not installed on this machine/);
  assert.match(stepEvent(local, 'preflight')!.hint!, /--synapse-exec/);
});

test('preflight lists every finding at once, each created for real, and changes nothing', { timeout: 120_000 }, async () => {
  assert.equal(inChroot(hs, ['synctl', 'stop', hs.state.configPathInside]).status, 0);
  // auto_vacuum on (takes a VACUUM to switch), and a pending background update.
  const db = new Database(hs.sqlitePath);
  const compat = (db.prepare('SELECT compat_version FROM schema_compat_version').get() as { compat_version: number }).compat_version;
  let inserted = 0;
  try {
    db.pragma('auto_vacuum = 1');
    db.exec('VACUUM');
    // A schema written by a newer Synapse than the tools (the compat version such a Synapse leaves behind).
    db.prepare('UPDATE schema_compat_version SET compat_version = 999').run();
    // A real update name; when Synapse still has it pending the row is there already and is left alone.
    inserted = db.prepare(`INSERT OR IGNORE INTO background_updates (update_name, progress_json) VALUES ('populate_stats_process_rooms', '{}')`).run().changes;
    db.close();
    // A database whose schema Synapse's own code created (update_synapse_database runs the same prepare_database as a start).
    psql(hs, `CREATE ROLE started_user LOGIN PASSWORD 'started-password-1'; CREATE DATABASE synapse_started OWNER started_user TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C';`);
    const cfg = parse(readFileSync(hs.configPath, 'utf8')) as Record<string, unknown>;
    cfg.database = { name: 'psycopg2', args: { user: 'started_user', password: 'started-password-1', dbname: 'synapse_started', host: '127.0.0.1', port: hs.postgres!.port } };
    const cfgInside = `${hs.state.dirInside}/started-db.yaml`;
    writeFileSync(join(hs.state.chrootDir, cfgInside), JSON.stringify(cfg));
    const prep = inChroot(hs, ['update_synapse_database', '--database-config', cfgInside]);
    assert.equal(prep.status, 0, prep.out);
    assert.ok(Number(psql(hs, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`, 'synapse_started')) > 100);
    const stamp = sha256(hs.sqlitePath);

    const run = await runWizard([...cutoverFlags(hs, join(tmp, 'started-password'), ['--db-name', 'synapse_started', '--db-user', 'started_user']), '--dry-run'], undefined, adminEnv(hs));
    assert.equal(run.code, 1, describeRun(run));
    const pre = stepEvent(run, 'preflight')!;
    assert.equal(pre.status, 'failed');
    assert.equal(pre.code, 'BLOCKED');
    assert.match(pre.message!, /3 problem\(s\)/);
    assert.match(pre.message!, /The SQLite schema \(version 999\) is newer than the tools understand \(Synapse 1\.160\.\d+, schema \d+\)/);
    assert.match(pre.message!, /auto_vacuum is 1/);
    assert.match(pre.message!, /already holds a Synapse schema .* that is not a port/);
    assert.match(pre.hint!, /PRAGMA auto_vacuum=off; VACUUM;/);
    assert.match(pre.hint!, /DROP DATABASE "synapse_started"/);
    assert.match([...logs(run, 'preflight'), stepEvent(run, 'preflight')?.message ?? ''].join('\n'), /background update\(s\) are pending .*populate_stats_process_rooms.*update_synapse_database/);
    assert.equal(stepEvent(run, 'snapshot'), undefined, 'nothing after preflight ran');
    assert.equal(sha256(hs.sqlitePath), stamp, 'preflight wrote to the SQLite file');
  } finally {
    // Undo, so that no other test depends on running before or after this one: auto_vacuum off, update row gone, Synapse serving.
    if (db.open) db.close();
    psql(hs, 'DROP DATABASE IF EXISTS synapse_started; DROP ROLE IF EXISTS started_user;');
    const undo = new Database(hs.sqlitePath);
    undo.prepare('UPDATE schema_compat_version SET compat_version = ?').run(compat);
    if (inserted) undo.prepare(`DELETE FROM background_updates WHERE update_name = 'populate_stats_process_rooms'`).run();
    undo.pragma('auto_vacuum = 0');
    undo.exec('VACUUM');
    undo.close();
    const undone = new Database(hs.sqlitePath, { readonly: true });
    assert.equal(undone.pragma('auto_vacuum', { simple: true }), 0, 'auto_vacuum is off again');
    assert.equal((undone.prepare('SELECT compat_version FROM schema_compat_version').get() as { compat_version: number }).compat_version, compat);
    undone.close();
    assert.equal(inChroot(hs, ['synctl', 'start', hs.state.configPathInside]).status, 0);
    for (let i = 0; i < 60 && !(await health(hs.baseUrl)); i++) await new Promise((r) => setTimeout(r, 500));
    assert.ok(await health(hs.baseUrl));
  }
});

// One homeserver of its own, so that no other test's order matters: the rollback, its interruption, the attempt after the fix,
// and the rule that a Synapse that served on PostgreSQL is never rolled back, happen in that order on purpose.
test('a Synapse that cannot start on PostgreSQL is rolled back (an interrupted rollback is finished by the rerun); after the fix a new attempt killed in phase 2 completes; once served on PostgreSQL it is never rolled back', { timeout: 600_000 }, async () => {
  const hs = await startPracticeHomeserver({ postgres: true, users: 2, rooms: 1, messages: 10 });
  const dir = mkdtempSync(join(tmpdir(), 'spgw-cutover-rb2-'));
  const pwFile = join(dir, 'db-password');
  const journalFile = () => join(dirname(hs.configPath), '.synapse-pg', 'cutover.json');
  const configDatabase = () => (parse(readFileSync(hs.configPath, 'utf8')) as { database: { name: string } }).database.name;
  const psqlHere = (sql: string) => psql(hs, sql);
  const env = adminEnv(hs);
  try {
    // 1. Before the port is verified the role's password changes, so Synapse cannot log in once started on PostgreSQL. The
    // wizard is frozen (SIGSTOP) while that happens, so it cannot have started Synapse yet. Killed while it rolls back.
    let changed = false;
    let killedInRollback = false;
    const run = await runWizard(cutoverFlags(hs, pwFile), (e, child) => {
      if (!changed && e.event === 'step-start' && e.id === 'verify-port') {
        changed = true;
        child.kill('SIGSTOP');
        try {
          psqlHere(`ALTER ROLE synapse_user PASSWORD 'not-the-password-in-the-config'`);
        } finally {
          child.kill('SIGCONT');
        }
      }
      if (!killedInRollback && e.event === 'log' && e.id === 'start-synapse' && /^Put the SQLite config back/.test(String(e.message))) {
        killedInRollback = true;
        child.kill('SIGKILL');
      }
    }, env);
    assert.ok(changed && killedInRollback, describeRun(run));
    assert.equal(run.signal, 'SIGKILL', describeRun(run));
    assert.match(logs(run, 'start-synapse').join('\n'), /Synapse did not become healthy on PostgreSQL .*Rolling back to SQLite/);
    assert.equal(configDatabase(), 'sqlite3', 'the SQLite config was back when the run was killed');
    assert.notEqual(JSON.parse(readFileSync(journalFile(), 'utf8')).phase, 'rolled-back', 'the journal does not say the rollback finished');

    // 2. The role's password is fixed meanwhile (with the wrong one the rerun stops at create-role), so PostgreSQL would work
    // now: the rerun still finishes the rollback, and starts Synapse on SQLite, never silently on PostgreSQL.
    const fixRole = () => psqlHere(`ALTER ROLE synapse_user PASSWORD '${readFileSync(pwFile, 'utf8').trim().replace(/'/g, "''")}'`);
    fixRole();
    const rerun = await runWizard(cutoverFlags(hs, pwFile), undefined, env);
    assert.equal(rerun.code, 1, describeRun(rerun));
    const start = stepEvent(rerun, 'start-synapse');
    assert.ok(start, describeRun(rerun));
    assert.equal(start.status, 'failed');
    assert.match(start.message!, /^Rolled back: Synapse did not become healthy on PostgreSQL \(an earlier run was interrupted while rolling back\)/);
    assert.match(logs(rerun, 'start-synapse').join('\n'), /Put the SQLite config back/);
    assert.equal(done(rerun)?.ok, false);
    // Serving on SQLite again, with every message.
    assert.equal(configDatabase(), 'sqlite3');
    assert.ok(await health(hs.baseUrl));
    assert.equal(Number(psqlHere(`SELECT count(*) FROM pg_stat_activity WHERE usename = 'synapse_user'`)), 0, 'Synapse has no session in PostgreSQL');
    const session = await hs.login();
    const msgs = await session.messages(hs.rooms[0]!.roomId);
    assert.equal(msgs.filter((m) => m.body.startsWith('practice message ')).length, 10);
    assert.equal(JSON.parse(readFileSync(journalFile(), 'utf8')).phase, 'rolled-back');
    const status = await runWizard(['status', '--json', '-c', hs.configPath]);
    assert.equal((status.events.find((x) => x.event === 'status') as { cutover?: { phase: string } }).cutover?.phase, 'rolled-back');
    await session.sendMessage(hs.rooms[0]!.roomId, 'sent on SQLite after the rollback');

    // 3. A new attempt (the role's password is right) is killed in phase 2 and completes on rerun.
    let killed = false;
    const first = await runWizard(cutoverFlags(hs, pwFile), (e, child) => {
      if (!killed && e.event === 'log' && e.id === 'port-final' && /synapse_port_db.*: Preparing psycopg2/.test(String(e.message))) {
        killed = true;
        child.kill('SIGKILL');
      }
    }, env);
    assert.ok(killed, describeRun(first));
    assert.match(logs(first).join('\n'), /last attempt was rolled back .* Starting a new attempt/);
    assert.match(stepEvent(first, 'preflight')!.message!, /No blocking problems/);
    assert.match([...logs(first, 'preflight'), stepEvent(first, 'preflight')?.message ?? ''].join('\n'), /holds an earlier port of this SQLite file/);
    assert.equal(JSON.parse(readFileSync(journalFile(), 'utf8')).phase, 'downtime');
    assert.equal(await health(hs.baseUrl), false, 'Synapse is stopped in phase 2');
    const sqliteAtStop = sha256(hs.sqlitePath);

    const second = await runWizard(cutoverFlags(hs, pwFile), undefined, env);
    assert.equal(second.code, 0, describeRun(second));
    assert.equal(stepEvent(second, 'stop-synapse')?.status, 'done');
    assert.equal(stepEvent(second, 'final-snapshot')?.status, 'done');
    assert.equal(stepEvent(second, 'port-final')?.status, 'applied');
    assert.equal(configDatabase(), 'psycopg2');
    assert.equal(sha256(hs.sqlitePath), sqliteAtStop);
    const onPg = await hs.login();
    const bodies = (await onPg.messages(hs.rooms[0]!.roomId)).map((m) => m.body);
    assert.ok(bodies.includes('sent on SQLite after the rollback'));
    assert.equal(bodies.filter((b) => b.startsWith('practice message ')).length, 10);
    assert.ok(Number(psqlHere(`SELECT count(*) FROM pg_stat_activity WHERE usename = 'synapse_user'`)) > 0);
    await onPg.sendMessage(hs.rooms[0]!.roomId, 'sent on PostgreSQL');
    assert.ok(JSON.parse(readFileSync(journalFile(), 'utf8')).servedOnPostgresAt, 'the journal records that Synapse served on PostgreSQL');

    // 4. Synapse served on PostgreSQL: when it cannot start any more (here its logging config is broken, which no step of the
    // wizard checks), the wizard refuses to roll back (that message exists only in PostgreSQL) and keeps the PostgreSQL config.
    assert.equal(inChroot(hs, ['synctl', 'stop', hs.state.configPathInside]).status, 0);
    const logConfig = join(hs.state.chrootDir, String((parse(readFileSync(hs.configPath, 'utf8')) as { log_config: string }).log_config));
    writeFileSync(logConfig, 'version: 1\nhandlers: {console: {class: no.such.Handler}}\nroot: {handlers: [console]}\n');
    const broken = await runWizard(cutoverFlags(hs, pwFile), undefined, env);
    assert.equal(broken.code, 1, describeRun(broken));
    const refused = stepEvent(broken, 'start-synapse');
    assert.ok(refused, describeRun(broken));
    assert.equal(refused.status, 'failed', describeRun(broken));
    assert.match(refused.message!, /^Synapse served on PostgreSQL before, so the wizard does not roll back \(new messages would be lost\)/);
    assert.doesNotMatch(logs(broken, 'start-synapse').join('\n'), /Put the SQLite config back/);
    assert.equal(configDatabase(), 'psycopg2', 'the PostgreSQL config stays');
    assert.equal(await health(hs.baseUrl), false, 'and Synapse was not started on SQLite');
    assert.notEqual(JSON.parse(readFileSync(journalFile(), 'utf8')).phase, 'rolled-back');
  } finally {
    await hs.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
