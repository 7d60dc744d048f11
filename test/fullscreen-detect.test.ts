// What the main menu detects (src/status/detect.ts): config, database, Synapse, PostgreSQL, cutover journal; fast and never throwing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detect, recommend, postgresReachable } from '../src/status/detect.js';
import { menuItems, detectionLines } from '../screens/fullscreen/menu-model.js';
import { startCluster } from './helpers/cluster.js';

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'spgw-detect-'));
}

/** Another kind of server (HTTP) on a TCP port: not PostgreSQL, so the probe must say so. */
async function otherServer(reply: string): Promise<{ port: number; server: Server }> {
  const server = createServer((s) => s.once('data', () => s.end(reply)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, server };
}

test('a SQLite config: files, database, pid file alive, a real PostgreSQL from PGHOST/PGPORT; setup is suggested first', async () => {
  const d = dir();
  const pg = await startCluster();
  try {
    writeFileSync(join(d, 'homeserver.pid'), `${process.pid}\n`);
    writeFileSync(join(d, 'homeserver.yaml'), `server_name: example.org\npid_file: ${join(d, 'homeserver.pid')}\ndatabase:\n  name: sqlite3\n  args:\n    database: ${join(d, 'homeserver.db')}\n`);
    const r = await detect({ cwd: d, home: d, env: { PGHOST: '127.0.0.1', PGPORT: String(pg.port) } });
    assert.deepEqual(r.config, { paths: [join(d, 'homeserver.yaml')], databaseFile: join(d, 'homeserver.yaml'), warnings: [] });
    assert.deepEqual(r.database, { engine: 'sqlite', path: join(d, 'homeserver.db') });
    assert.equal(r.synapse.running, true);
    assert.match(r.synapse.evidence, new RegExp(`pid ${process.pid}`));
    assert.deepEqual(r.postgres, { reachable: true, where: `127.0.0.1:${pg.port}`, evidence: 'accepting connections' });
    assert.equal(r.cutover, undefined);
    assert.equal(recommend(r).command, 'setup');
    assert.equal(menuItems(r)[0]!.label, 'First-time setup');
    assert.deepEqual(detectionLines(r).map(([label]) => label), ['Config', 'Database', 'Synapse', 'PostgreSQL', 'Cutover']);
  } finally {
    pg.stop();
  }
});

test('an unfinished cutover in the journal suggests Cutover; PostgreSQL from the config; a dead pid is not running', async () => {
  const d = dir();
  mkdirSync(join(d, '.synapse-pg'));
  writeFileSync(join(d, '.synapse-pg', 'cutover.json'), JSON.stringify({ version: 1, startedAt: '2026-11-22T06:00:00Z', phase: 'downtime', steps: {} }));
  writeFileSync(join(d, 'homeserver.pid'), '999999999\n');
  writeFileSync(join(d, 'homeserver.yaml'), `pid_file: ${join(d, 'homeserver.pid')}\ndatabase:\n  name: psycopg2\n  args:\n    user: synapse_user\n    dbname: synapse\n    host: 127.0.0.1\n    port: 1\n`);
  const r = await detect({ configPaths: [join(d, 'homeserver.yaml')], cwd: d, home: d, env: {} });
  assert.deepEqual(r.database, { engine: 'postgres', dbname: 'synapse', host: '127.0.0.1', port: 1, user: 'synapse_user' });
  assert.equal(r.synapse.running, false);
  assert.equal(r.postgres.reachable, false);
  assert.equal(r.postgres.evidence, 'no server is listening');
  assert.deepEqual(r.cutover, { phase: 'downtime', journal: join(d, '.synapse-pg', 'cutover.json') });
  assert.deepEqual(menuItems(r).map((i) => i.command), ['setup', 'cutover', 'doctor', 'maintain', 'status', 'sandbox'], 'the order never changes');
  assert.deepEqual(menuItems(r).map((i) => i.key), ['s', 'c', 'd', 'm', 't', 'p']);
  assert.match(menuItems(r).find((i) => i.suggested)!.suggested!, /phase downtime/);
  assert.equal(menuItems(r).find((i) => i.suggested)!.command, 'cutover');
});

test('a broken config, no config at all, and a finished journal never throw', async () => {
  const d = dir();
  writeFileSync(join(d, 'homeserver.yaml'), 'database: [unclosed\n');
  const broken = await detect({ cwd: d, home: d, env: { PGPORT: 'not-a-port' } });
  assert.ok(broken.config && 'error' in broken.config);
  assert.match(broken.config.error, /homeserver\.yaml:\d+:\d+/);
  assert.equal(recommend(broken).command, 'doctor');
  assert.equal(broken.postgres.where, 'localhost:5432');

  const empty = dir();
  const none = await detect({ cwd: empty, home: empty, env: {}, timeoutMs: 300 });
  assert.equal(none.config, null);
  assert.equal(none.database, undefined);
  assert.equal(recommend(none).command, 'setup');

  const finished = dir();
  mkdirSync(join(finished, '.synapse-pg'));
  writeFileSync(join(finished, '.synapse-pg', 'cutover.json'), JSON.stringify({ version: 1, startedAt: '2026-11-22T06:00:00Z', phase: 'done', steps: {} }));
  writeFileSync(join(finished, 'homeserver.yaml'), 'database:\n  name: sqlite3\n  args:\n    database: homeserver.db\n');
  assert.equal((await detect({ cwd: finished, home: finished, env: {}, timeoutMs: 300 })).cutover, undefined);
  writeFileSync(join(finished, '.synapse-pg', 'cutover.json'), '{ not json');
  assert.equal((await detect({ cwd: finished, home: finished, env: {}, timeoutMs: 300 })).cutover, undefined);
});

test('the PostgreSQL probe tells PostgreSQL from another server and from a Unix socket that is not there', async () => {
  const other = await otherServer('HTTP/1.1 400 Bad Request\r\n\r\n');
  try {
    const r = await postgresReachable('127.0.0.1', other.port, 500);
    assert.deepEqual(r, { reachable: false, where: `127.0.0.1:${other.port}`, evidence: 'something answers there, but not PostgreSQL' });
  } finally {
    other.server.close();
  }
  const sock = await postgresReachable(dir(), 5432, 500);
  assert.equal(sock.reachable, false);
  assert.match(sock.where, /\.s\.PGSQL\.5432$/);
  // and a real PostgreSQL, by TCP and by its Unix socket, is reachable; once stopped, it is not
  const pg = await startCluster();
  try {
    assert.deepEqual(await postgresReachable('127.0.0.1', pg.port, 2000), { reachable: true, where: `127.0.0.1:${pg.port}`, evidence: 'accepting connections' });
    assert.equal((await postgresReachable(pg.socketDir, pg.port, 2000)).reachable, true);
  } finally {
    pg.stop();
  }
  assert.equal((await postgresReachable('127.0.0.1', pg.port, 500)).reachable, false);
});
