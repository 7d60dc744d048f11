// The cutover preflight's file checks, made real on a practice homeserver: PRAGMA quick_check on a SQLite file with a damaged
// page, too little room for the snapshot beside it, and too little room in PostgreSQL's data directory. The small filesystems
// are tmpfs mounts in a private mount namespace that the wizard runs in (PostgreSQL and Synapse, outside it, are untouched).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parse, stringify } from 'yaml';
import { startPracticeHomeserver, type PracticeHomeserver } from './helpers/synapse.js';
import { adminEnv, cutoverFlags, describeRun, MAIN, stepEvent, type WizardEvent, type WizardRun } from './cutover-helpers.js';

let hs: PracticeHomeserver;
let tmp: string;

before(async () => {
  hs = await startPracticeHomeserver({ postgres: true, users: 1, rooms: 1, messages: 5 });
  tmp = mkdtempSync(join(tmpdir(), 'spgw-preflight-'));
});

after(async () => {
  await hs?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Runs the built wizard in a private mount namespace after `setup` (shell lines run there first, as root). */
function runInNamespace(setup: string[], args: string[], env: NodeJS.ProcessEnv): Promise<WizardRun> {
  const t0 = Date.now();
  const script = ['set -e', ...setup, 'exec "$0" "$@"'].join('\n');
  const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, process.execPath, MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      const events = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as WizardEvent);
      resolve({ code, signal, events, stdout, stderr, ms: Date.now() - t0 });
    }),
  );
}

test('preflight: a damaged SQLite file (quick_check), no room for the snapshot and no room in PostgreSQL\'s data directory, all at once', { timeout: 180_000 }, async () => {
  // A consistent copy of the live file (SQLite's online backup, Synapse keeps running), then one b-tree page overwritten.
  const staging = join(tmp, 'staging');
  mkdirSync(staging);
  const copy = join(staging, 'homeserver.db');
  const live = new Database(hs.sqlitePath, { readonly: true });
  await live.backup(copy);
  live.close();
  const db = new Database(copy);
  const pageSize = Number(db.pragma('page_size', { simple: true }));
  const root = (db.prepare(`SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = 'events'`).get() as { rootpage: number }).rootpage;
  assert.equal(db.pragma('quick_check', { simple: true }), 'ok', 'the copy is sound before the damage');
  db.close();
  const fd = openSync(copy, 'r+');
  writeSync(fd, Buffer.alloc(pageSize / 2, 0xa5), 0, pageSize / 2, (root - 1) * pageSize);
  closeSync(fd);
  const check = new Database(copy, { readonly: true });
  let damage: string;
  try {
    damage = String(check.pragma('quick_check', { simple: true }));
  } catch (e) {
    damage = (e as Error).message;
  } finally {
    check.close();
  }
  assert.notEqual(damage, 'ok', 'SQLite itself sees the damage');

  // The config names the damaged copy, in a directory inside the chroot (the tools see it there) that becomes a small tmpfs.
  const dirInside = `${hs.state.dirInside}/damaged-${process.pid}`;
  const dirHost = join(hs.state.chrootDir, dirInside);
  mkdirSync(dirHost);
  const cfg = parse(readFileSync(hs.configPath, 'utf8')) as Record<string, any>;
  cfg.database = { name: 'sqlite3', args: { database: `${dirInside}/homeserver.db` } };
  writeFileSync(join(staging, 'homeserver.yaml'), stringify(cfg), { mode: 0o600 });
  const sizeKb = Math.ceil(statSync(copy).size / 1024) + 64; // the copy and the config fit; a snapshot (1.1 x the file) does not
  const pgData = hs.postgres!.dataDir;
  try {
    const args = cutoverFlags(hs, join(tmp, 'db-password')).map((a) => (a === hs.configPath ? join(dirHost, 'homeserver.yaml') : a));
    const run = await runInNamespace([
      `mount -t tmpfs -o size=${sizeKb}k tmpfs '${dirHost}'`,
      `cp '${copy}' '${join(staging, 'homeserver.yaml')}' '${dirHost}/'`,
      // PostgreSQL's data directory as the wizard sees it: 1 MB free (the server keeps its own view)
      `mount -t tmpfs -o size=1m tmpfs '${pgData}'`,
    ], [...args, '--dry-run'], adminEnv(hs));
    assert.equal(run.code, 1, describeRun(run));
    const pre = stepEvent(run, 'preflight')!;
    assert.equal(pre.status, 'failed', describeRun(run));
    assert.equal(pre.code, 'BLOCKED', describeRun(run));
    // the fourth: the config's own directory (on the same small tmpfs) has no room for the edited config and its backup
    assert.match(pre.message!, /4 problem\(s\)/);
    assert.match(pre.message!, /Only \d+ bytes are free where the Synapse config \S+homeserver\.yaml is written; the edit needs \d+/);
    assert.match(pre.message!, new RegExp(`PRAGMA quick_check reports damage in \\S*damaged-${process.pid}/homeserver\\.db`));
    assert.match(pre.message!, new RegExp(`Only 0\\.00 GB free in \\S*damaged-${process.pid}; the snapshot needs about`));
    assert.match(pre.message!, /Only 0\.00 GB free for PostgreSQL's data directory \S+; plan for twice the SQLite size/);
    assert.match(pre.hint!, /sqlite3 \.recover/);
    assert.equal(stepEvent(run, 'snapshot'), undefined, 'nothing after preflight ran');
  } finally {
    rmSync(dirHost, { recursive: true, force: true });
  }
  // The same copy undamaged on the real disk: no such finding (the checks read the real file and the real filesystems).
  const sound = `${dirHost}-sound`;
  mkdirSync(sound);
  try {
    const fresh = new Database(hs.sqlitePath, { readonly: true });
    await fresh.backup(join(sound, 'homeserver.db'));
    fresh.close();
    cfg.database = { name: 'sqlite3', args: { database: `${dirInside}-sound/homeserver.db` } };
    writeFileSync(join(sound, 'homeserver.yaml'), stringify(cfg), { mode: 0o600 });
    const args = cutoverFlags(hs, join(tmp, 'db-password')).map((a) => (a === hs.configPath ? join(sound, 'homeserver.yaml') : a));
    const ok = await runInNamespace([], [...args, '--dry-run'], adminEnv(hs));
    assert.equal(stepEvent(ok, 'preflight')?.status, 'done', describeRun(ok));
  } finally {
    rmSync(sound, { recursive: true, force: true });
  }
});
