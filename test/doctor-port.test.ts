// Doctor before and after a port: the SQLite file's state (FAILURES 12, 13, 24) and the texts of a port log (9, 14, 15, 18-21, 23) mapped to findings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createExecutor } from '../src/adapters/exec.js';
import { generateHomeserver } from '../src/sandbox/homeserver.js';
import { freePort, startCluster } from './helpers/cluster.js';
import { requireSynapseChroot } from './helpers/synapse.js';
import { runCli } from './helpers/cli.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'generated', 'homeserver.yaml');

function findings(events: Record<string, unknown>[]): Record<string, boolean> {
  return Object.fromEntries(events.filter((e) => e.event === 'finding').map((e) => [String(e.id), e.fixed as boolean]));
}

function finding(events: Record<string, unknown>[], id: string): Record<string, unknown> {
  const f = events.find((e) => e.event === 'finding' && e.id === id);
  assert.ok(f, `finding ${id}`);
  return f;
}

/** Synapse's generated config on SQLite, its files in `dir`. */
function sqliteConfig(dir: string): string {
  const path = join(dir, 'homeserver.yaml');
  writeFileSync(path, readFileSync(FIXTURE, 'utf8').replaceAll('/tmp/gen', dir), { mode: 0o640 });
  return path;
}

test('doctor on a SQLite homeserver before the port: auto_vacuum, pending background updates and too little disk space reported; the live SQLite file is never written', async () => {
  if (process.getuid?.() !== 0) throw new Error('This test mounts a small tmpfs and must run as root.');
  const c = await startCluster();
  const dir = mkdtempSync(join(tmpdir(), 'spgw-doctor-sqlite-'));
  const dirs = [dir];
  // 1 MiB of disk: too little for a snapshot of a ~600 KiB SQLite file next to it
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
  try {
    const cfg = sqliteConfig(dir);
    const db = new Database(join(dir, 'homeserver.db'));
    db.pragma('auto_vacuum = FULL');
    db.exec(`CREATE TABLE users (name TEXT PRIMARY KEY); CREATE TABLE background_updates (update_name TEXT NOT NULL, progress_json TEXT NOT NULL, depends_on TEXT, ordering INT NOT NULL DEFAULT 0);
             CREATE TABLE events (stream_ordering INTEGER PRIMARY KEY, json TEXT)`);
    db.prepare(`INSERT INTO users VALUES ('@alice:example.org')`).run();
    db.prepare(`INSERT INTO background_updates (update_name, progress_json, ordering) VALUES ('event_search_sqlite_delete_non_strings', '{}', 9001)`).run();
    const ins = db.prepare('INSERT INTO events (json) VALUES (?)');
    for (let i = 0; i < 560; i++) ins.run('x'.repeat(1000));
    db.close();
    const before = new Database(join(dir, 'homeserver.db'), { readonly: true });
    assert.equal(before.pragma('auto_vacuum', { simple: true }), 1);
    before.close();

    const r = await runCli(['doctor', '--yes', '--json', '-c', cfg], { env: c.env });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.deepEqual(findings(r.events), { 'sqlite-background-updates': false, 'sqlite-auto-vacuum': false, 'disk-space': false });
    // the VACUUM is the admin's to run (the wizard never writes the live SQLite file): the exact command, with Synapse stopped
    assert.match(String(finding(r.events, 'sqlite-auto-vacuum').fix), /with Synapse stopped, once, before the first port .*sqlite3 \S+homeserver\.db "PRAGMA auto_vacuum = 0; VACUUM;"/);
    assert.equal(finding(r.events, 'sqlite-background-updates').severity, 'advice', 'the cutover runs them on its snapshots');
    assert.equal(finding(r.events, 'sqlite-auto-vacuum').severity, 'problem');
    assert.match(String(finding(r.events, 'sqlite-background-updates').evidence), /1 unfinished update\(s\): event_search_sqlite_delete_non_strings/);
    assert.match(String(finding(r.events, 'sqlite-background-updates').fix), /nothing before synapse-pg cutover: it runs update_synapse_database .* on each snapshot it ports, never on your file.*update_synapse_database --database-config \S+homeserver\.yaml --run-background-updates yourself/);
    assert.match(String(finding(r.events, 'disk-space').evidence), /the snapshot of \S+homeserver\.db \(0\.\d MiB\) needs 0\.\d MiB in \S+, which has 0\.\d MiB free/);

    // The same file where there is room: --yes still leaves it byte for byte as it was
    const roomy = mkdtempSync(join(tmpdir(), 'spgw-doctor-sqlite-'));
    dirs.push(roomy);
    const cfg2 = sqliteConfig(roomy);
    copyFileSync(join(dir, 'homeserver.db'), join(roomy, 'homeserver.db'));
    const digest = () => createHash('sha256').update(readFileSync(join(roomy, 'homeserver.db'))).digest('hex');
    const beforeDigest = digest();
    const r2 = await runCli(['doctor', '--yes', '--json', '-c', cfg2], { env: c.env });
    assert.equal(r2.code, 1, r2.stdout + r2.stderr);
    assert.deepEqual(findings(r2.events), { 'sqlite-background-updates': false, 'sqlite-auto-vacuum': false });
    assert.equal(digest(), beforeDigest, 'the live SQLite file is not written');
    const after = new Database(join(roomy, 'homeserver.db'), { readonly: true });
    assert.equal(after.pragma('auto_vacuum', { simple: true }), 1);
    after.close();
  } finally {
    c.stop();
    execFileSync('umount', ['-l', dir]);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});

test('doctor --log maps every known error text to its finding, counting the rows a port dropped; an unparsable config is a finding', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spgw-doctor-log-'));
  try {
    const cfg = sqliteConfig(dir);
    const log = join(dir, 'port.log');
    writeFileSync(log, [
      'ImportError: libpq.so.5: cannot open shared object file: No such file or directory',
      'sqlite3.OperationalError: attempt to write a readonly database',
      '_curses.error: addwstr() returned ERR',
      "2026-01-01 12:00:00,000 - synapse_port_db - 1021 - WARNING - DROPPING ROW: NUL value in table event_json col json: (b'x',)",
      "2026-01-01 12:00:00,001 - synapse_port_db - 1021 - WARNING - DROPPING ROW: NUL value in table event_json col json: (b'y',)",
      "2026-01-01 12:00:00,002 - synapse_port_db - 1021 - WARNING - DROPPING ROW: NUL value in table state_events col state_key: (b'z',)",
      '2026-01-01 12:00:00,003 - synapse_port_db - 602 - WARNING - dropping search row {}',
      'psycopg2.errors.CharacterNotInRepertoire: invalid byte sequence for encoding "UTF8": 0xed 0xb3 0xb6',
      'psycopg2.errors.DatatypeMismatch: column "is_guest" is of type boolean but expression is of type integer',
      'psycopg2.errors.InvalidTextRepresentation: invalid input syntax for type bigint: "abc"',
      'Cannot use this database as it is too new for the server to understand',
      'Pending background updates exist in the SQLite3 database. Please start Synapse again and wait until every update has finished before running this script.',
      'auto_vacuum is enabled in the SQLite database. (This is not the default configuration.)',
      'Exception: Found users in database not native to new.example!',
      "Postgres sequence 'events_stream_seq' is inconsistent with associated stream position",
      'FATAL:  Ident authentication failed for user "synapse_user"',
      'ERROR:  permission denied for schema public',
      'ERROR:  role "synapse_user" does not exist',
      'OSError: [Errno 28] No space left on device',
    ].join('\n'));
    // No PostgreSQL to look at: every text still maps, unconfirmed, and the exit status says work is left
    const r = await runCli(['doctor', '--yes', '--json', '-c', cfg, '--log', log], { env: { PGHOST: join(dir, 'nowhere'), PGPORT: '1' } });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.deepEqual(findings(r.events), {
      'libpq-missing': false,
      'sqlite-readonly': false,
      'port-curses': false,
      'port-dropped-rows': false,
      'port-invalid-utf8': false,
      'port-old-script': false,
      'sqlite-corrupt': false,
      'schema-too-new': false,
      'sqlite-background-updates': false,
      'sqlite-auto-vacuum': false,
      'server-name': false,
      'stream-positions': false,
      'pg-hba-auth': false,
      'public-schema-permission': false,
      'role-missing': false,
      'disk-space': false,
    });
    assert.match(String(finding(r.events, 'port-dropped-rows').evidence), /^The port dropped 2 row\(s\) of event_json\.json, 1 row\(s\) of state_events\.state_key, 1 event_search row\(s\)\./);
    assert.match(String(finding(r.events, 'stream-positions').evidence), /could not look at the system to confirm it/);
    assert.match(String(finding(r.events, 'libpq-missing').fix), /apt install libpq5/);
    // worst first
    const order = r.events.filter((e) => e.event === 'finding').map((e) => e.id);
    assert.ok(order.indexOf('libpq-missing') < order.indexOf('pg-hba-auth') && order.indexOf('pg-hba-auth') < order.indexOf('port-curses'), order.join(' '));
    assert.ok(r.events.some((e) => e.event === 'log' && /No superuser connection/.test(String(e.message))));

    // Bad usage: exit 2 with what to do
    const unknown = await runCli(['doctor', '--yes', '--json', '-c', cfg, 'allow-everything'], { env: { PGHOST: join(dir, 'nowhere'), PGPORT: '1' } });
    assert.equal(unknown.code, 2, unknown.stdout);
    assert.match(String(unknown.events.at(-1)!.hint), /synapse-pg doctor \[--allow-unsafe-locale\] \[--error TEXT\] \[--log FILE\]/);
    const noLog = await runCli(['doctor', '--yes', '--json', '-c', cfg, '--log', join(dir, 'missing.log')], { env: { PGHOST: join(dir, 'nowhere'), PGPORT: '1' } });
    assert.equal(noLog.code, 2, noLog.stdout);
    assert.match(String(noLog.events.at(-1)!.message), /--log \S+missing\.log: cannot read \(ENOENT\)/);

    // A config Synapse cannot parse either is the worst finding, with the spot to fix
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('server_name: "example.org"', 'server_name: "example.org'));
    const bad = await runCli(['doctor', '--yes', '--json', '-c', cfg], { env: { PGHOST: join(dir, 'nowhere'), PGPORT: '1' } });
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.deepEqual(findings(bad.events), { 'config-unreadable': false });
    assert.match(String(finding(bad.events, 'config-unreadable').evidence), /homeserver\.yaml:\d+:\d+: Missing closing "quote/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('doctor: "invalid input syntax for type bigint" (FAILURES 21) runs PRAGMA integrity_check: a damaged file is named, a sound one cleared; invalid UTF-8 rows (19) found', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spgw-doctor-corrupt-'));
  try {
    const cfg = sqliteConfig(dir);
    const path = join(dir, 'homeserver.db');
    const db = new Database(path);
    db.exec('CREATE TABLE received_transactions (transaction_id TEXT, origin TEXT, ts BIGINT); CREATE INDEX rt_origin ON received_transactions(origin)');
    const ins = db.prepare('INSERT INTO received_transactions VALUES (?, ?, ?)');
    for (let i = 0; i < 300; i++) ins.run(`txn${i}`, `${'server'.repeat(30)}${i}.example`, i);
    const root = (db.prepare(`SELECT rootpage FROM sqlite_master WHERE name = 'rt_origin'`).get() as { rootpage: number }).rootpage;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.close();
    const text = 'psycopg2.errors.InvalidTextRepresentation: invalid input syntax for type bigint: "Xk"';
    const env = { PGHOST: join(dir, 'nowhere'), PGPORT: '1' };

    const sound = await runCli(['doctor', '--yes', '--json', '-c', cfg, '--error', text], { env });
    assert.deepEqual(findings(sound.events), { 'sqlite-corrupt': true }, sound.stdout);

    // FAILURES 19 on the same file: bytes SQLite took as text that are not UTF-8, found by rowid
    const w = new Database(path);
    w.prepare(`INSERT INTO received_transactions VALUES (CAST(x'6f6bedb3b6' AS TEXT), 'a.example', 1)`).run();
    w.close();
    const utf8 = await runCli(['doctor', '--yes', '--json', '-c', cfg, '--error', 'psycopg2.errors.CharacterNotInRepertoire: invalid byte sequence for encoding "UTF8": 0xed 0xb3 0xb6'], { env });
    assert.equal(utf8.code, 1, utf8.stdout);
    assert.deepEqual(findings(utf8.events), { 'port-invalid-utf8': false });
    assert.match(String(finding(utf8.events, 'port-invalid-utf8').evidence), /Text that is not valid UTF-8 in \S+homeserver\.db: received_transactions\.transaction_id rowid 301\./);
    assert.match(String(finding(sound.events, 'sqlite-corrupt').evidence), /finds it healthy now/);

    // a damaged b-tree page header, as a crash or a copy taken mid-write leaves it
    const bytes = readFileSync(path);
    bytes.fill(7, (root - 1) * pageSize, (root - 1) * pageSize + 12);
    writeFileSync(path, bytes);
    const r = await runCli(['doctor', '--yes', '--json', '-c', cfg, '--error', text], { env });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.deepEqual(findings(r.events), { 'sqlite-corrupt': false });
    assert.match(String(finding(r.events, 'sqlite-corrupt').evidence), /PRAGMA integrity_check on \S+homeserver\.db: .*(malformed|corrupt|btreeInitPage|Page \d+)/i);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('doctor: a SQLite file the tools may not write (FAILURES 14), reproduced with Synapse\'s own update tool on a read-only mount', async () => {
  const chroot = requireSynapseChroot();
  const exec = createExecutor({ kind: 'chroot', dir: chroot });
  const files = await generateHomeserver(exec, { serverName: `doctorro${process.pid}.test`, port: await freePort() });
  let mounted = false;
  try {
    const made = await exec.run(['update_synapse_database', '--database-config', files.configPathInside], { timeoutMs: 120_000 });
    assert.equal(made.exitCode, 0, made.stderr);
    // as for uid 991 in Docker on a root-owned copy: the file cannot be written (root is stopped only by a read-only mount)
    execFileSync('mount', ['--bind', files.sqlitePathHost, files.sqlitePathHost]);
    mounted = true;
    execFileSync('mount', ['-o', 'remount,bind,ro', files.sqlitePathHost]);
    const refused = await exec.run(['update_synapse_database', '--database-config', files.configPathInside], { timeoutMs: 120_000 });
    const log = join(files.dirHost, 'update.log');
    writeFileSync(log, refused.stderr + refused.stdout);
    assert.match(readFileSync(log, 'utf8'), /sqlite3\.OperationalError: attempt to write a readonly database/);

    const r = await runCli(['doctor', '--yes', '--json', '-c', files.configPathHost, '--synapse-exec', `chroot:${chroot}`, '--log', log], { env: { PGHOST: join(files.dirHost, 'nowhere'), PGPORT: '1' }, timeoutMs: 120_000 });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const found = findings(r.events);
    assert.equal(found['sqlite-readonly'], false, r.stdout);
    assert.match(String(finding(r.events, 'sqlite-readonly').evidence), new RegExp(`As root \\(chroot \\S+\\): ${files.sqlitePathInside.replace(/[.]/g, '\\.')} is not writable`));
    // nothing else but the background updates its own run could not finish on the read-only file
    assert.deepEqual(Object.keys(found).filter((k) => k !== 'sqlite-readonly' && k !== 'sqlite-background-updates'), []);
  } finally {
    if (mounted) execFileSync('umount', ['-l', files.sqlitePathHost]);
    rmSync(files.dirHost, { recursive: true, force: true });
  }
});
