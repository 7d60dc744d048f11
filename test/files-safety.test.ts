// Files: a symlinked config is edited at its target and the link kept; a FIFO or a device is refused without being opened;
// a file or backup holding the database password is never world-readable. Real files, a real FIFO, the real doctor binary.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setDatabaseSection } from '../src/config/database-block.js';
import { loadConfig } from '../src/config/load.js';
import { backupFile, editFile, writeFileAtomic } from '../src/adapters/files.js';
import { registerSecret } from '../src/core/redact.js';
import { hostMemory, recommend } from '../src/doctor/tuning.js';
import { startCluster } from './helpers/cluster.js';
import { runCli } from './helpers/cli.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'generated', 'homeserver.yaml');
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'spgw-files-'));
  dirs.push(d);
  return d;
};
const digest = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

test('a symlink is followed: the target is written (backup beside it), the link stays a link', async () => {
  const d = tmp();
  mkdirSync(join(d, 'real'));
  const target = join(d, 'real', 'homeserver.yaml');
  writeFileSync(target, 'a: 1\n', { mode: 0o640 });
  const link = join(d, 'homeserver.yaml');
  symlinkSync('real/homeserver.yaml', link);
  const backup = await editFile(link, 'a: 2\n');
  assert.ok(lstatSync(link).isSymbolicLink(), 'the link is kept');
  assert.equal(readlinkSync(link), 'real/homeserver.yaml');
  assert.equal(readFileSync(target, 'utf8'), 'a: 2\n');
  assert.equal(statSync(target).mode & 0o777, 0o640);
  assert.ok(backup?.startsWith(join(d, 'real', 'homeserver.yaml.synapse-pg-')), backup);
  assert.equal(readFileSync(backup!, 'utf8'), 'a: 1\n');
});

test('a FIFO and a character device are refused by stat, never opened (no hang), and left as they are', async () => {
  const d = tmp();
  const fifo = join(d, 'homeserver.yaml');
  execFileSync('mkfifo', [fifo]);
  const t0 = Date.now();
  await assert.rejects(loadConfig([fifo]), /is a FIFO \(named pipe\), not a regular Synapse config file/);
  await assert.rejects(writeFileAtomic(fifo, 'x: 1\n'), /is a FIFO/);
  await assert.rejects(loadConfig(['/dev/null']), /\/dev\/null is a character device/);
  await assert.rejects(writeFileAtomic('/dev/null', 'x'), /character device/);
  assert.ok(Date.now() - t0 < 5000, 'refused at once');
  assert.ok(lstatSync(fifo).isFIFO(), 'still a FIFO');
  assert.ok(statSync('/dev/null').isCharacterDevice(), '/dev/null untouched');

  // the binary says so and exits, with nothing else changed in the directory
  const before = readdirSync(d);
  const r = await runCli(['doctor', '--json', '-c', fifo], { timeoutMs: 30_000 });
  assert.notEqual(r.code, 0);
  assert.match(r.stdout + r.stderr, /is a FIFO \(named pipe\), not a regular Synapse config file/);
  assert.deepEqual(readdirSync(d), before);
});

test('content holding a registered password is written no wider than 0640; every backup loses its world bits', async () => {
  const d = tmp();
  const pw = `p'"\\$\t${randomBytes(6).toString('hex')}`;
  registerSecret(pw);
  const f = join(d, 'homeserver.yaml');
  writeFileSync(f, 'server_name: x\n', { mode: 0o644 });
  const b1 = await backupFile(f);
  assert.equal(statSync(b1).mode & 0o777, 0o640, 'a backup is not world-readable');
  await writeFileAtomic(f, `database:\n  args:\n    password: ${JSON.stringify(pw)}\n`);
  assert.equal(statSync(f).mode & 0o777, 0o640, 'the file now holding the password is 0640');
  const plain = join(d, 'other.yaml');
  writeFileSync(plain, 'x: 1\n', { mode: 0o644 });
  await writeFileAtomic(plain, 'x: 2\n');
  assert.equal(statSync(plain).mode & 0o777, 0o644, 'a file without a secret keeps its mode');
});

test('doctor --yes on a symlinked homeserver.yaml edits the target and keeps the link; the config (0644) ends 0640', async () => {
  const c = await startCluster({ extraConf: Object.entries(recommend(hostMemory(), 50)).map(([k, v]) => `${k} = '${v}MB'`).join('\n') });
  try {
    const d = tmp();
    const password = `S${randomBytes(12).toString('base64url')}`;
    c.psql(`CREATE ROLE synapse_user LOGIN PASSWORD '${password}'; CREATE DATABASE synapse OWNER synapse_user TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
    mkdirSync(join(d, 'etc'));
    const target = join(d, 'etc', 'homeserver.yaml');
    writeFileSync(target, setDatabaseSection(readFileSync(FIXTURE, 'utf8').replaceAll('/tmp/gen', d), { name: 'psycopg2', args: { user: 'synapse_user', password, dbname: 'synapse', host: 'localhost', port: c.port } }), { mode: 0o644 });
    const link = join(d, 'homeserver.yaml');
    symlinkSync(target, link);
    const before = digest(target);
    const dry = await runCli(['doctor', '--json', '-c', link], { env: c.env });
    assert.equal(dry.code, 0, dry.stdout);
    assert.equal(digest(target), before, 'the read-only diagnosis wrote nothing');
    const r = await runCli(['doctor', '--yes', '--json', '-c', link], { env: c.env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(r.events.some((e) => e.event === 'finding' && e.id === 'keepalives' && e.fixed === true && e.severity === 'advice'));
    assert.ok(lstatSync(link).isSymbolicLink(), 'the link is kept');
    assert.match(readFileSync(target, 'utf8'), /keepalives_count: 3/);
    assert.equal(statSync(target).mode & 0o777, 0o640, 'the config holding the password is no longer world-readable');
    const backups = readdirSync(join(d, 'etc')).filter((f) => f.includes('.synapse-pg-'));
    assert.equal(backups.length, 1);
    assert.equal(statSync(join(d, 'etc', backups[0]!)).mode & 0o777, 0o640, 'the backup holding the password is not world-readable');
  } finally {
    c.stop();
  }
});

test("cutover's config swap through a symlinked homeserver.yaml (0644): the target gets PostgreSQL, the link stays, the file holding the password ends 0640", async () => {
  const { expandConfigPaths } = await import('../src/config/discover.js');
  const { cutoverPaths } = await import('../src/cutover/context.js');
  const { swapConfig } = await import('../src/cutover/steps/swap-config.js');
  const d = tmp();
  mkdirSync(join(d, 'real'));
  const target = join(d, 'real', 'homeserver.yaml');
  const original = 'server_name: "example.org"\ndatabase:\n  name: sqlite3\n  args:\n    database: /data/homeserver.db\n';
  writeFileSync(target, original, { mode: 0o644 });
  const link = join(d, 'homeserver.yaml');
  symlinkSync(target, link);
  const password = `sw'"\\$\t${randomBytes(4).toString('hex')}`;
  registerSecret(password);
  const config = await loadConfig(await expandConfigPaths([link]));
  const setup = { dbUser: 'synapse_user', dbName: 'synapse', dbHost: 'localhost', dbPort: 5432 };
  const ctx = { opts: { setup }, setup: { opts: setup, password }, config, paths: cutoverPaths(config, '/data/homeserver.db'), stepData: {} } as never;
  const sc = { dryRun: false, signal: new AbortController().signal, log: () => {}, progress: () => {} };
  await swapConfig.apply(ctx, sc);
  assert.ok(lstatSync(link).isSymbolicLink(), 'the link is kept');
  assert.equal(readlinkSync(link), target);
  assert.match(readFileSync(target, 'utf8'), /name: psycopg2/);
  assert.equal(statSync(target).mode & 0o777, 0o640, 'the config holding the password is not world-readable');
  const old = readdirSync(d).concat(readdirSync(join(d, 'real'))).filter((f) => f.includes('old-sqlite'));
  assert.equal(old.length, 1, 'the SQLite version is kept');
});
