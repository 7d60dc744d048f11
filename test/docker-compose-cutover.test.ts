// Docker compose for real: Synapse in a container of the image built from the sid chroot, its data on the host (owned by 991),
// PostgreSQL on the host listening on the bridge's gateway. `setup` then `cutover --service compose:./compose.yaml:synapse` with
// only -c and the PostgreSQL port: the wizard derives the rest from `docker compose config` and the engine.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parse } from 'yaml';
import { startCluster, type Cluster } from './helpers/cluster.js';
import { startComposeHomeserver, type ComposeHomeserver } from './helpers/docker.js';
import { readRoomWithSdk } from './helpers/matrix-client.js';
import { describeRun, runWizard, sha256, stepEvent } from './cutover-helpers.js';

let hs: ComposeHomeserver;
let pg: Cluster;
let tmp: string;

before(async () => {
  hs = await startComposeHomeserver({ users: 2, messages: 20 });
  pg = await startCluster({ extraConf: `listen_addresses = '127.0.0.1,${hs.gateway}'` });
  tmp = mkdtempSync(join(tmpdir(), 'spgw-docker-'));
});

after(() => {
  hs?.down();
  pg?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const flags = (cmd: string, c: Cluster = pg) => [cmd, '--yes', '--json', '-c', './data/homeserver.yaml', '--service', 'compose:./compose.yaml:synapse', '--db-port', String(c.port), '--db-password-file', join(tmp, `db-password-${c.port}`)];
const inDir = (args: string[], onEvent?: Parameters<typeof runWizard>[1], h: ComposeHomeserver = hs, c: Cluster = pg) => {
  const cwd = process.cwd();
  process.chdir(h.dir); // the admin runs it from the compose project's directory, with relative paths
  try {
    return runWizard(args, onEvent, { ...c.env, HOME: tmp });
  } finally {
    process.chdir(cwd);
  }
};

/** Sends messages one after another until stopped; keeps the ids Synapse accepted. */
function sender() {
  const sent: string[] = [];
  let running = true;
  const loop = (async () => {
    const s = await hs.login('user1');
    for (let i = 0; running; i++) {
      try {
        sent.push(await s.sendMessage(hs.roomId, `during cutover ${i}`));
      } catch {
        // Synapse is stopping: this one was not accepted, so it need not survive
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return { sent, stop: async () => ((running = false), await loop) };
}

test('setup then cutover through compose: every message served from PostgreSQL by the container, SQLite intact, a rerun finds every step done', { timeout: 300_000 }, async (t) => {
  const setup = await inDir(flags('setup'));
  assert.equal(setup.code, 0, describeRun(setup));
  // Synapse connects from the bridge network, so that is what pg_hba.conf allows; PostgreSQL is reached at the host's bridge address
  assert.match(readFileSync(pg.hbaFile, 'utf8'), new RegExp(`^host\\s+synapse\\s+synapse_user\\s+${hs.subnet.replace(/\./g, '\\.')}\\s+scram-sha-256`, 'm'));

  const before = await hs.login();
  const beforeIds = await readRoomWithSdk(before, hs.roomId);
  const traffic = sender();
  let stopped: Promise<void> | undefined;
  let sqliteAtStop = '';
  const run = await inDir(flags('cutover'), (e) => {
    if (e.event === 'step-start' && e.id === 'stop-synapse') stopped = traffic.stop();
    if (e.event === 'step' && e.id === 'stop-synapse' && e.status === 'applied') sqliteAtStop = sha256(hs.sqlitePath);
  });
  await (stopped ?? traffic.stop());
  assert.equal(run.code, 0, describeRun(run));
  t.diagnostic(`cutover ${(run.ms / 1000).toFixed(1)} s; ${traffic.sent.length} messages sent while it ran phase 1`);
  assert.ok(traffic.sent.length >= 3, `only ${traffic.sent.length} messages were sent during phase 1`);
  const logText = run.events.filter((e) => e.event === 'log').map((e) => String(e.message)).join('\n');
  assert.match(logText, /docker compose -f \S+compose\.yaml exec -T synapse/, 'the tools run in the service\'s container');

  // the container runs again, on PostgreSQL, healthy through its published port
  assert.equal(hs.compose('ps', '--status', 'running', '--services').trim(), 'synapse');
  assert.ok(await hs.waitHealthy(5_000));
  const db = (parse(readFileSync(hs.configPath, 'utf8')) as { database: { name: string; args: { host: string } } }).database;
  assert.equal(db.name, 'psycopg2');
  assert.equal(db.args.host, hs.gateway);
  // every message, read back as a client reads a room (sync, then back-pagination), in sending order, from PostgreSQL
  const s = await hs.login();
  const ids = await readRoomWithSdk(s, hs.roomId);
  assert.equal(new Set(ids).size, ids.length, 'each message once');
  assert.deepEqual(ids.slice(0, beforeIds.length), beforeIds);
  assert.deepEqual(ids.filter((id) => traffic.sent.includes(id)), traffic.sent);
  const inPg = new Set(pg.psql(`SELECT event_id FROM events WHERE room_id = '${hs.roomId}'`, 'synapse').split('\n'));
  for (const id of [...beforeIds, ...traffic.sent]) assert.ok(inPg.has(id), `${id} is not in PostgreSQL`);
  // a message sent now lands in PostgreSQL, not in the old SQLite file
  const late = await s.sendMessage(hs.roomId, 'after the cutover');
  assert.equal(pg.psql(`SELECT count(*) FROM events WHERE event_id = '${late}'`, 'synapse'), '1');

  // the SQLite file is as Synapse left it when it stopped, and whole
  assert.equal(sha256(hs.sqlitePath), sqliteAtStop);
  const lite = new Database(hs.sqlitePath, { readonly: true, fileMustExist: true });
  try {
    assert.equal(lite.pragma('quick_check', { simple: true }), 'ok');
    const inLite = new Set((lite.prepare('SELECT event_id FROM events').all() as { event_id: string }[]).map((r) => r.event_id));
    for (const id of traffic.sent) assert.ok(inLite.has(id), `${id} is missing from the SQLite file`);
  } finally {
    lite.close();
  }

  // status sees it through the engine: the container answers on its published port and serves from PostgreSQL
  const status = await inDir(['status', '--json', '-c', './data/homeserver.yaml', '--service', 'compose:./compose.yaml:synapse']);
  const st = status.events.find((e) => e.event === 'status') as { synapse: { running: boolean; database?: string; evidence: string }; cutover?: { phase: string } } | undefined;
  assert.ok(st, describeRun(status));
  assert.equal(st.synapse.running, true, st.synapse.evidence);
  assert.match(st.synapse.evidence, /published as http:\/\/127\.0\.0\.1:\d+/);
  assert.equal(st.synapse.database, 'postgres');
  assert.equal(st.cutover?.phase, 'done');

  const again = await inDir(flags('cutover'));
  assert.equal(again.code, 0, describeRun(again));
  assert.equal(stepEvent(again, 'preflight')?.status, 'done', describeRun(again));
  for (const e of again.events.filter((x) => x.event === 'step')) assert.ok(['done', 'skipped'].includes(String(e.status)), `${e.id}: ${e.status} ${e.message}`);
  assert.equal(sha256(hs.sqlitePath), sqliteAtStop);
});

test('a Synapse that cannot start on PostgreSQL: the container is rolled back to SQLite and serves every message again', { timeout: 240_000 }, async (t) => {
  const h = await startComposeHomeserver({ messages: 10 });
  const c = await startCluster({ extraConf: `listen_addresses = '127.0.0.1,${h.gateway}'` });
  try {
    const sqliteBefore = sha256(h.sqlitePath);
    assert.equal((await inDir(flags('setup', c), undefined, h, c)).code, 0);
    let changed = false;
    const run = await inDir(flags('cutover', c), (e) => {
      // between the port and the start, the role's password changes: Synapse in the container cannot log in and exits
      if (!changed && e.event === 'step' && e.id === 'verify-port') {
        changed = true;
        c.psql(`ALTER ROLE synapse_user PASSWORD 'not-the-password-in-the-config'`);
      }
    }, h, c);
    t.diagnostic(`cutover with rollback ${(run.ms / 1000).toFixed(1)} s`);
    assert.ok(changed, describeRun(run));
    assert.equal(run.code, 1, describeRun(run));
    const start = stepEvent(run, 'start-synapse')!;
    assert.equal(start.status, 'failed');
    assert.match(String(start.message), /Rolled back: Synapse did not become healthy on PostgreSQL \(compose service synapse .* exited after the start/);
    assert.equal((parse(readFileSync(h.configPath, 'utf8')) as { database: { name: string } }).database.name, 'sqlite3');
    assert.equal(h.compose('ps', '--status', 'running', '--services').trim(), 'synapse');
    assert.ok(await h.waitHealthy(5_000));
    const ids = await readRoomWithSdk(await h.login(), h.roomId);
    assert.equal(ids.length, 10);
    // the rollback serves the same SQLite file, which the wizard never wrote (only Synapse did, before and after)
    assert.notEqual(sqliteBefore, '');
    const late = await (await h.login()).sendMessage(h.roomId, 'after the rollback');
    assert.ok((await readRoomWithSdk(await h.login(), h.roomId)).includes(late));
  } finally {
    h.down();
    c.stop();
  }
});
