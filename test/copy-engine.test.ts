// Proof of equality: on the same SQLite snapshots, the database the copy engine makes and the one synapse_port_db makes hold the
// same rows in every table (an order-independent digest of every column, computed by PostgreSQL) and the same sequences, after
// real client traffic (messages, reactions, edits, receipts, device keys, key backup), rows with NUL characters and non-UTF-8
// bytes, and a port in two phases with traffic in between. Real Synapse (Debian chroot), real PostgreSQL.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import YAML from 'yaml';
import { createExecutor, type Executor } from '../src/adapters/exec.js';
import { runDriver } from '../src/cutover/copy/driver.js';
import { runCopyEngine, type CopyEngineResult } from '../src/cutover/copy/engine.js';
import { runPort } from '../src/cutover/port-run.js';
import { digestDatabase, digestDifferences } from './helpers/pg-digest.js';
import { startPracticeHomeserver, type PracticeHomeserver } from './helpers/synapse.js';
import { reactEditRead, uploadDeviceKeys, uploadKeyBackup, whoamiDevice } from './helpers/traffic.js';

/** Filled by the script with content that depends on the time of the run: compared by row count only. */
const TIME_DEPENDENT: Record<string, string> = {
  sent_transactions: 'the script keeps only the last day of it, counted from the moment it runs',
};

let hs: PracticeHomeserver;
let work: string;
let exec: Executor;
let admin: pg.Client;

before(async () => {
  hs = await startPracticeHomeserver({ postgres: true, users: 2, rooms: 2, messages: 30 });
  work = join(hs.state.dirHost, 'equality');
  mkdirSync(work, { recursive: true });
  exec = createExecutor({ kind: 'chroot', dir: hs.state.chrootDir });
  admin = new pg.Client({ host: '127.0.0.1', port: hs.postgres!.port, user: 'postgres', password: hs.postgres!.password, database: 'postgres' });
  await admin.connect();
});

after(async () => {
  await admin?.end();
  await hs?.stop();
});

function pgConfig(db: string): pg.ClientConfig {
  return { host: '127.0.0.1', port: hs.postgres!.port, user: 'postgres', password: hs.postgres!.password, database: db };
}

/** A whole config whose database is `database` (PostgreSQL by name, or a SQLite path inside the chroot). */
function writeConfig(name: string, database: { name: 'psycopg2'; db: string } | { name: 'sqlite3'; path: string }): string {
  const cfg = YAML.parse(readFileSync(hs.configPath, 'utf8'));
  const p = pgConfig(database.name === 'psycopg2' ? database.db : 'postgres');
  cfg.database = database.name === 'psycopg2'
    ? { name: 'psycopg2', args: { user: p.user, password: p.password, dbname: database.db, host: p.host, port: p.port, cp_min: 1, cp_max: 5 } }
    : { name: 'sqlite3', args: { database: database.path } };
  const path = join(work, `${name}.yaml`);
  writeFileSync(path, YAML.stringify(cfg), { mode: 0o600 });
  return path;
}

async function run(argv: string[]): Promise<void> {
  const r = await exec.run(argv, { timeoutMs: 300_000 });
  assert.equal(r.exitCode, 0, `${argv.join(' ')} failed: ${r.stderr.slice(-2000)}`);
}

/** A new database with Synapse's schema, made as the wizard makes it (update_synapse_database). */
async function newDatabase(db: string): Promise<string> {
  await admin.query(`CREATE DATABASE "${db}" ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
  const cfg = writeConfig(`pg-${db}`, { name: 'psycopg2', db });
  await run(['update_synapse_database', '--database-config', exec.toInside(cfg), '--run-background-updates']);
  return cfg;
}

/** An online backup of the live file (Synapse keeps running), its background updates finished as the wizard does. */
async function snapshot(name: string): Promise<string> {
  const path = join(work, `${name}.db`);
  const live = new Database(hs.sqlitePath, { readonly: true });
  await live.backup(path);
  live.close();
  await run(['update_synapse_database', '--database-config', exec.toInside(writeConfig(`sq-${name}`, { name: 'sqlite3', path: exec.toInside(path) })), '--run-background-updates']);
  return path;
}

/** Each tool writes bookkeeping into the file it ports, so each gets its own copy of the snapshot. */
function copyOf(path: string, tag: string): string {
  const to = path.replace(/\.db$/, `-${tag}.db`);
  copyFileSync(path, to);
  return to;
}

async function portDb(sqlite: string, cfg: string): Promise<void> {
  await runPort({ exec, sqlite, postgresConfig: cfg, logFile: join(work, 'port-db.log') });
}

async function copyEngine(sqlite: string, cfg: string, db: string, digests: Record<string, string>): Promise<CopyEngineResult> {
  const d = await runDriver({ exec, python: 'python3', mode: 'prepare', sqlite, postgresConfig: cfg, logFile: join(work, 'copy.log') });
  return runCopyEngine({ sqlite, pg: pgConfig(db), rules: d.rules, tables: d.tables, digests });
}

async function assertEqual(what: string, refDb: string, copyDb: string): Promise<number> {
  const [a, b] = [await digestDatabase(pgConfig(refDb)), await digestDatabase(pgConfig(copyDb))];
  assert.deepEqual(digestDifferences(a, b, TIME_DEPENDENT), [], `${what}: tables or sequences differ between synapse_port_db's database and the copy engine's`);
  for (const t of Object.keys(TIME_DEPENDENT)) assert.equal(a.tables[t]?.rows, b.tables[t]?.rows, `${what}: ${t} row counts`);
  return Object.values(a.tables).reduce((n, t) => n + t.rows, 0);
}

async function traffic(s: Awaited<ReturnType<PracticeHomeserver['login']>>, sessions: number): Promise<void> {
  const room = hs.rooms[0]!.roomId;
  const ids = await hs.sendMessages(10, room);
  for (const id of ids.slice(0, 4)) await reactEditRead(s, room, id);
  await uploadKeyBackup(s, room, sessions);
}

test('copy engine = synapse_port_db: real traffic, NUL characters, non-UTF-8 bytes, two phases', { timeout: 600_000 }, async (t) => {
  const s = await hs.login();
  await uploadDeviceKeys(s, await whoamiDevice(s));
  await traffic(s, 300);
  // A text with a NUL (PostgreSQL cannot store it: both drop the row) and non-UTF-8 bytes in a BLOB (stored as bytea by both).
  const w = new Database(hs.sqlitePath);
  w.pragma('busy_timeout = 10000');
  w.prepare(`INSERT INTO user_ips (user_id, access_token, device_id, ip, user_agent, last_seen) VALUES (?, 'nul-token', NULL, '192.0.2.1', ?, ?)`).run(hs.users[0]!.userId, 'agent\u0000with a NUL', Date.now());
  w.prepare(`INSERT INTO user_filters (full_user_id, user_id, filter_id, filter_json) VALUES (?, 'x', 4242, ?)`).run(hs.users[0]!.userId, Buffer.from([0xff, 0x00, 0xfe, 0xed, 0xb3, 0xb6]));
  w.close();

  const snap1 = await snapshot('phase1');
  const refCfg = await newDatabase('eq_ref');
  const cpCfg = await newDatabase('eq_copy');
  await portDb(copyOf(snap1, 'ref'), refCfg);
  const digests: Record<string, string> = {};
  const r1 = await copyEngine(copyOf(snap1, 'copy'), cpCfg, 'eq_copy', digests);
  assert.equal(r1.dropped.user_ips, 1, 'the copy engine drops the row with a NUL, as synapse_port_db does');
  assert.ok((r1.tables.e2e_room_keys?.copied ?? 0) >= 300, 'key backup rows were copied');
  const rows1 = await assertEqual('phase 1', 'eq_ref', 'eq_copy');
  t.diagnostic(`phase 1: ${rows1} rows equal in every table; copy engine ${r1.rowsCopied} rows at ${Math.round(r1.rate)} rows/s`);
  const c = new pg.Client(pgConfig('eq_copy'));
  await c.connect();
  const blob = await c.query<{ h: string }>(`SELECT encode(filter_json, 'hex') AS h FROM user_filters WHERE filter_id = 4242`);
  await c.end();
  assert.equal(blob.rows[0]?.h, 'ff00feedb3b6', 'non-UTF-8 bytes in a BLOB arrive byte for byte');

  // Phase 2: more traffic, then both tools again on a new snapshot: the script resumes its append-only tables and copies the
  // others again; the copy engine copies only the tables whose rows changed.
  await traffic(s, 200);
  const snap2 = await snapshot('phase2');
  await portDb(copyOf(snap2, 'ref'), refCfg);
  const r2 = await copyEngine(copyOf(snap2, 'copy'), cpCfg, 'eq_copy', digests);
  const rows2 = await assertEqual('phase 2', 'eq_ref', 'eq_copy');
  const by = (a: string) => Object.entries(r2.tables).filter(([, x]) => x.action === a).map(([k]) => k);
  assert.ok(by('replaced').includes('e2e_room_keys'), 'the key backup changed, so it is replaced');
  assert.ok(by('unchanged').length > 50, `most tables did not change and are not copied again (unchanged: ${by('unchanged').length})`);
  t.diagnostic(`phase 2: ${rows2} rows equal; ${by('replaced').length} tables replaced, ${by('unchanged').length} unchanged, ${r2.rowsCopied} rows copied`);
});

test('text that is not UTF-8: synapse_port_db stops, and so does the copy engine, naming the row', { timeout: 300_000 }, async () => {
  const base = await snapshot('utf8');
  const bad = new Database(base);
  bad.prepare(`INSERT INTO user_ips (user_id, access_token, device_id, ip, user_agent, last_seen) VALUES ('@x:y', 'bad-utf8', NULL, '192.0.2.2', CAST(x'61ff62' AS TEXT), 1)`).run();
  const rowid = (bad.prepare(`SELECT rowid AS r FROM user_ips WHERE access_token = 'bad-utf8'`).get() as { r: number }).r;
  bad.close();
  const refCfg = await newDatabase('utf_ref');
  const cpCfg = await newDatabase('utf_copy');
  await assert.rejects(portDb(copyOf(base, 'ref'), refCfg), /Could not decode to UTF-8|synapse_port_db failed/);
  await assert.rejects(copyEngine(copyOf(base, 'copy'), cpCfg, 'utf_copy', {}), (e: Error) => {
    assert.match(e.message, new RegExp(`Table user_ips, column user_agent, rowid ${rowid} holds bytes that are not UTF-8`));
    return true;
  });
});

/** Runs the copy engine in a child process until it is in the middle of `table`, then kills it with SIGKILL. */
async function killMidTable(sqlite: string, cfg: string, db: string, digestsFile: string, table: string): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'helpers', 'copy-child.ts'), hs.state.chrootDir, sqlite, cfg, JSON.stringify(pgConfig(db)), digestsFile, table], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const mid = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /^MID .*$/m.exec(out);
      if (m) {
        child.kill('SIGKILL');
        resolve(m[0]);
      }
    });
    child.on('close', () => reject(new Error(`the copy child ended before it reached ${table}: ${out} ${err.slice(-2000)}`)));
  });
  await new Promise((r) => child.once('close', r));
  return mid;
}

test('killed with SIGKILL in the middle of a table, twice, the next run finishes: nothing duplicated, nothing lost', { timeout: 600_000 }, async (t) => {
  const s = await hs.login();
  await uploadKeyBackup(s, hs.rooms[1]!.roomId, 1500);
  await hs.sendMessages(60, hs.rooms[1]!.roomId);
  const snap = await snapshot('killed');
  const refCfg = await newDatabase('kill_ref');
  const cpCfg = await newDatabase('kill_copy');
  await portDb(copyOf(snap, 'ref'), refCfg);
  const src = copyOf(snap, 'copy');
  const digestsFile = join(work, 'kill-digests.json');
  writeFileSync(digestsFile, '{}');
  const c = new pg.Client(pgConfig('kill_copy'));
  await c.connect();
  try {
    // An append-only table (resumed from port_from_sqlite3) and a table replaced in full (TRUNCATE + COPY).
    for (const table of ['e2e_room_keys', 'event_json']) {
      const mid = await killMidTable(src, cpCfg, 'kill_copy', digestsFile, table);
      const sqliteRows = (new Database(src, { readonly: true }).prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      const pgRows = Number((await c.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
      assert.ok(pgRows < sqliteRows, `killed in the middle of ${table} (${mid}): its transaction did not commit (${pgRows} of ${sqliteRows} rows in PostgreSQL)`);
      t.diagnostic(`${mid}: killed; ${table} holds ${pgRows} of ${sqliteRows} rows`);
    }
  } finally {
    await c.end();
  }
  const digests = JSON.parse(readFileSync(digestsFile, 'utf8')) as Record<string, string>;
  await copyEngine(src, cpCfg, 'kill_copy', digests);
  const rows = await assertEqual('after two kills', 'kill_ref', 'kill_copy');
  t.diagnostic(`after two SIGKILLs and a rerun: ${rows} rows equal in every table`);
});
