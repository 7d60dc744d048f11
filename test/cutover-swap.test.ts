// The config swap on real files: a single homeserver.yaml is renamed (SQLite version kept), a Debian conf.d layout gets only
// the file holding `database` rewritten, with a backup; every other byte stays. Plus synapse_port_db output and error diagnoses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandConfigPaths } from '../src/config/discover.js';
import { loadConfig } from '../src/config/load.js';
import type { StepContext } from '../src/core/step.js';
import { cutoverPaths, type CutoverContext } from '../src/cutover/context.js';
import { diagnosePort } from '../src/cutover/diagnose.js';
import { addPortLine, droppedByTable, newPortSummary } from '../src/cutover/port-output.js';
import { swapConfig } from '../src/cutover/steps/swap-config.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

const sc: StepContext = { dryRun: false, signal: new AbortController().signal, log: () => {}, progress: () => {} };

async function context(paths: string[]): Promise<CutoverContext> {
  const config = await loadConfig(await expandConfigPaths(paths));
  const setup = { dbUser: 'synapse_user', dbName: 'synapse', dbHost: 'localhost', dbPort: 5432 };
  return {
    opts: { setup },
    setup: { opts: setup, password: 'correct horse battery staple' },
    config,
    paths: cutoverPaths(config, '/var/lib/matrix-synapse/homeserver.db'),
    stepData: {},
  } as unknown as CutoverContext;
}

test('swap, one file: homeserver.yaml -> homeserver-old-sqlite.yaml (same mode), homeserver-postgres.yaml -> homeserver.yaml', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spgw-swap-'));
  try {
    const main = join(dir, 'homeserver.yaml');
    const original = 'server_name: "example.org"\n# the database\ndatabase:\n  name: sqlite3\n  args:\n    database: /data/homeserver.db\nreport_stats: false\n';
    writeFileSync(main, original);
    chmodSync(main, 0o640);
    const ctx = await context([main]);
    assert.equal((await swapConfig.check(ctx, sc)).status, 'needed');
    await swapConfig.apply(ctx, sc);
    assert.deepEqual(await swapConfig.verify(ctx, sc), { ok: true, message: "Synapse's merged config uses PostgreSQL database synapse." });
    assert.equal(readFileSync(join(dir, 'homeserver-old-sqlite.yaml'), 'utf8'), original);
    assert.equal(statSync(join(dir, 'homeserver-old-sqlite.yaml')).mode & 0o777, 0o640);
    assert.equal(statSync(main).mode & 0o777, 0o640);
    assert.equal(
      readFileSync(main, 'utf8'),
      'server_name: "example.org"\n# the database\ndatabase:\n  name: psycopg2\n  args:\n    host: localhost\n    port: 5432\n    user: synapse_user\n    password: "correct horse battery staple"\n    dbname: synapse\n    cp_min: 5\n    cp_max: 10\n    keepalives_idle: 10\n    keepalives_interval: 10\n    keepalives_count: 3\nreport_stats: false\n',
    );
    assert.deepEqual(readdirSync(dir).sort(), ['homeserver-old-sqlite.yaml', 'homeserver.yaml']);
    assert.equal((await swapConfig.check(ctx, sc)).status, 'done');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('swap, Debian conf.d: only the file holding database is rewritten, with a backup', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spgw-swap-deb-'));
  try {
    cpSync(join(FIXTURES, 'debian'), dir, { recursive: true });
    const dbFile = join(dir, 'conf.d', 'database.yaml');
    writeFileSync(dbFile, '# SQLite, for now\ndatabase:\n  name: sqlite3\n  args:\n    database: /var/lib/matrix-synapse/homeserver.db\n');
    const mainBefore = readFileSync(join(dir, 'homeserver.yaml'), 'utf8');
    const ctx = await context([join(dir, 'homeserver.yaml'), join(dir, 'conf.d')]);
    await swapConfig.apply(ctx, sc);
    assert.equal((await swapConfig.verify(ctx, sc)).ok, true);
    assert.equal(readFileSync(join(dir, 'homeserver.yaml'), 'utf8'), mainBefore);
    assert.match(readFileSync(dbFile, 'utf8'), /^# SQLite, for now\ndatabase:\n  name: psycopg2\n/);
    const backups = readdirSync(join(dir, 'conf.d')).filter((f) => f.startsWith('database.yaml.synapse-pg-'));
    assert.equal(backups.length, 1);
    assert.match(readFileSync(join(dir, 'conf.d', backups[0]!), 'utf8'), /name: sqlite3/);
    assert.deepEqual(ctx.stepData['swap-config'], { file: dbFile, sqliteCopy: join(dir, 'conf.d', backups[0]!) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Lines as synapse_port_db 1.160 prints them (progress on stdout, logging on stderr), taken from real runs.
test('synapse_port_db output: per-table progress, states, dropped rows, timings', () => {
  const s = newPortSummary();
  const lines: [string, 'stdout' | 'stderr', number][] = [
    ['Preparing sqlite3...', 'stdout', 1300],
    ['Preparing psycopg2...', 'stdout', 1310],
    ['2026-11-22 06:49:41,598 - synapse.storage.prepare_database - 164 - INFO - (\'main\', \'state\'): Initialising new database', 'stderr', 1320],
    ['Copying to postgres...', 'stdout', 58400],
    ['2026-11-22 06:50:38,600 - synapse_port_db - 441 - INFO - Table events: 10/34 (rows 1-10) already ported', 'stderr', 58410],
    ['events: 100% (34/34)', 'stdout', 58500],
    ['2026-11-22 06:50:38,700 - synapse_port_db - 1021 - WARNING - DROPPING ROW: NUL value in table user_ips col user_agent: \'agent\\x00with a NUL\'', 'stderr', 58510],
    ['2026-11-22 06:50:38,710 - synapse_port_db - 602 - WARNING - dropping search row {\'event_id\': \'$x\'}', 'stderr', 58520],
    ['user_ips: 100% (3/3)', 'stdout', 58530],
  ];
  for (const [l, stream, at] of lines) addPortLine(s, l, at, stream);
  assert.equal(s.setupMs, 58400);
  assert.equal(s.copyMs, 130);
  assert.equal(s.tables.events!.alreadyPorted, 10);
  assert.equal(s.tables.events!.copied, 24);
  assert.equal(s.rowsCopied, 27);
  assert.deepEqual(droppedByTable(s), { user_ips: 1, event_search: 1 });
  assert.deepEqual(s.states.map((x) => x.state), ['Preparing sqlite3', 'Preparing psycopg2', 'Copying to postgres']);
});

test('synapse_port_db failures are diagnosed from its exit code and text (FAILURES.md)', () => {
  const cases: [number, string, RegExp, RegExp][] = [
    [5, 'Pending background updates exist in the SQLite3 database. Please start Synapse again and wait until every update has finished before running this script.\n', /unfinished background updates/, /update_synapse_database/],
    [5, 'auto_vacuum is enabled in the SQLite database. (This is not the default configuration.)', /auto_vacuum is on/, /PRAGMA auto_vacuum=off; VACUUM;/],
    [5, 'sqlite3.OperationalError: attempt to write a readonly database', /cannot write to the SQLite copy/, /uid 991/],
    [5, 'psycopg2.errors.UniqueViolation: duplicate key value violates unique constraint "events_pkey"', /not empty, or Synapse was started on it/, /Drop and recreate/],
    [5, 'Found users in database not native to example.org!\nYou cannot change a synapse server_name after it\'s been configured', /server_name differs/, /original server_name/],
    [5, 'ValueError: Cannot use this database as it is too new for the server to understand', /older than the schema/, /same or a newer Synapse/],
    [5, 'psycopg2.OperationalError: connection to server at "127.0.0.1", port 5432 failed: FATAL:  password authentication failed for user "synapse_user"', /could not log in/, /synapse-pg setup/],
    [1, 'The sqlite database you specified does not exist, please check that you have thecorrect path.', /did not find the SQLite file/, /--path-map/],
    [4, "The configuration file must have a 'database' section.\n", /no 'database' section/, /homeserver-postgres\.yaml/],
  ];
  for (const [code, text, what, hint] of cases) {
    const e = diagnosePort(code, text, '/x/port.log');
    assert.equal(e.code, 'PORT_FAILED');
    assert.match(e.message, what, text);
    assert.match(e.hint ?? '', hint, text);
    assert.match(e.hint ?? '', /\/x\/port\.log/);
  }
});
