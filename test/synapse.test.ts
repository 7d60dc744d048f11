// The real Synapse (Debian sid, in a chroot) on SQLite: sandbox up, messages in and out, synctl stop/start proven, sandbox down.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { createExecutor } from '../src/adapters/exec.js';
import { isWizardError } from '../src/core/errors.js';
import { redact } from '../src/core/redact.js';
import { health, registerMac, versions } from '../src/synapse/client.js';
import { createSynctlService, parseServiceSpec, portOpen } from '../src/synapse/service.js';
import { sandboxStatus } from '../src/sandbox/sandbox.js';
import { readState } from '../src/sandbox/state.js';
import { requireSynapseChroot, startPracticeHomeserver, type PracticeHomeserver } from './helpers/synapse.js';

test('parseServiceSpec reads every documented form', () => {
  assert.deepEqual(parseServiceSpec('synctl'), { kind: 'synctl' });
  assert.deepEqual(parseServiceSpec('systemd'), { kind: 'systemd', unit: 'matrix-synapse' });
  assert.deepEqual(parseServiceSpec('systemd:synapse@main.service'), { kind: 'systemd', unit: 'synapse@main.service' });
  assert.deepEqual(parseServiceSpec('compose:/srv/matrix/docker-compose.yml'), { kind: 'compose', file: '/srv/matrix/docker-compose.yml', service: 'synapse' });
  assert.deepEqual(parseServiceSpec('compose:/srv/matrix/docker-compose.yml:homeserver'), { kind: 'compose', file: '/srv/matrix/docker-compose.yml', service: 'homeserver' });
  assert.deepEqual(parseServiceSpec('compose:./a:b/compose.yml'), { kind: 'compose', file: './a:b/compose.yml', service: 'synapse' });
  assert.deepEqual(parseServiceSpec('docker:synapse'), { kind: 'docker', container: 'synapse' });
});

test('parseServiceSpec refuses bad specs with a hint listing the forms', () => {
  for (const [spec, words] of [
    ['', 'not a known kind'],
    ['runit', '"runit" is not a known kind'],
    ['synctl:/etc/x.yaml', 'synctl takes no value'],
    ['systemd:bad unit', 'not a systemd unit name'],
    ['compose:', 'needs the compose file'],
    ['compose:/x.yml:', 'service name after the last colon is empty'],
    ['docker:', 'needs the container name'],
    ['docker:-rm', 'not a container name'],
  ] as const) {
    assert.throws(() => parseServiceSpec(spec), (e: unknown) => {
      assert.ok(isWizardError(e), `${spec}: a WizardError`);
      assert.equal(e.code, 'BAD_INPUT');
      assert.match(e.message, new RegExp(words.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), spec);
      assert.match(e.hint ?? '', /synctl, systemd\[:UNIT\].*compose:FILE\[:SERVICE\].*docker:CONTAINER/);
      return true;
    });
  }
});

test('the register HMAC matches vectors computed with Python hmac (nonce\\0user\\0password\\0admin|notadmin)', () => {
  // Computed once with: python3 -c 'import hmac,hashlib; print(hmac.new(b"s3cret-shared", b"\x00".join([...]), hashlib.sha1).hexdigest())'
  assert.equal(registerMac('s3cret-shared', 'abc123nonce', 'alice', 'pässwörd', true), '979d9a3077232a0e6b7d1ef64948269381b0c454');
  assert.equal(registerMac('s3cret-shared', 'abc123nonce', 'bob', 'pw', false), 'b3d9037988d3dc68a0adfff097b15f938db56de8');
});

test('the register HMAC matches Python hmac run live in the chroot', async () => {
  const exec = createExecutor({ kind: 'chroot', dir: requireSynapseChroot() });
  const script = 'import hmac,hashlib,sys; a=sys.argv[1:]; print(hmac.new(a[0].encode(), b"\\x00".join(x.encode() for x in a[1:]), hashlib.sha1).hexdigest())';
  const args = ['k3y-é', 'n0nce', 'carol', 'pw with spaces', 'notadmin'] as const;
  const r = await exec.run(['python3', '-c', script, ...args]);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(registerMac(args[0], args[1], args[2], args[3], false), r.stdout.trim());
});

/** True once /proc/PID is gone: an exited daemon is a zombie until init reaps it, which PID 1 in some VMs does a second or so late. */
async function processGone(pid: number, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (existsSync(`/proc/${pid}`)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

describe('practice homeserver on the real Synapse', { timeout: 600_000 }, () => {
  let hs: PracticeHomeserver | undefined;
  before(async () => {
    const t0 = Date.now();
    hs = await startPracticeHomeserver({ users: 2, rooms: 2, messages: 15, postgres: true });
    console.log(`# sandbox up took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });
  after(async () => {
    await hs?.stop();
  });

  test('Synapse on SQLite answers /health and /_matrix/client/versions', async () => {
    assert.equal(await health(hs!.baseUrl), true);
    assert.ok((await versions(hs!.baseUrl)).includes('v1.1'));
    const status = await sandboxStatus({ stateDir: hs!.stateDir });
    assert.deepEqual([status.up, status.synapseRunning, status.healthy, status.postgresRunning], [true, true, true, true]);
    assert.equal(statSync(hs!.state.secretsFile).mode & 0o777, 0o600);
    assert.equal(existsSync(hs!.sqlitePath), true);
  });

  test('messages sent are read back through pagination, and passwords never appear in redacted text', async () => {
    const bob = await hs!.login('bob');
    assert.deepEqual((await bob.joinedRooms()).sort(), hs!.rooms.map((r) => r.roomId).sort());
    const first = hs!.rooms[0]!;
    const before = await bob.messages(first.roomId, { pageSize: 4 });
    assert.equal(before.length, first.messages);
    const sent = await hs!.sendMessages(9);
    const afterSend = await bob.messages(first.roomId, { pageSize: 4 });
    assert.deepEqual(afterSend.map((m) => m.eventId).slice(-9), sent);
    assert.equal(afterSend.length, before.length + 9);
    assert.ok(afterSend.every((m, i) => i === 0 || m.originServerTs >= afterSend[i - 1]!.originServerTs), 'oldest first');
    assert.equal(redact(`pw=${hs!.users[1]!.password}`), 'pw=********');
  });

  test('the SQLite file holds the events', async () => {
    // as many messages as a client reads back from every room, whatever other tests sent before
    const alice = await hs!.login();
    let served = 0;
    for (const room of hs!.rooms) served += (await alice.messages(room.roomId)).length;
    assert.ok(served >= hs!.state.messageCount);
    const db = new Database(hs!.sqlitePath, { readonly: true, fileMustExist: true });
    try {
      const n = db.prepare("SELECT count(*) AS n FROM events WHERE type = 'm.room.message'").get() as { n: number };
      assert.equal(n.n, served);
      const users = db.prepare('SELECT name FROM users ORDER BY name').all() as { name: string }[];
      assert.deepEqual(users.map((u) => u.name), hs!.users.map((u) => u.userId).sort());
      const body = db.prepare("SELECT json FROM event_json WHERE json LIKE '%practice message 1 in%'").get() as { json: string } | undefined;
      assert.ok(body, 'the first practice message is stored as JSON');
    } finally {
      db.close();
    }
  });

  test('synctl stop leaves no process and a closed port; start brings back a healthy server with its data', async () => {
    const exec = createExecutor({ kind: 'chroot', dir: hs!.state.chrootDir });
    const service = createSynctlService({ exec, configPath: hs!.configPath });
    assert.match(service.describe(), /^synctl with \/srv\/synapse-sandbox\/.*\/homeserver\.yaml \(chroot /);
    assert.equal(await service.isRunning(), true);
    const pidFile = `${hs!.state.dirHost}/homeserver.pid`;
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    assert.ok(existsSync(`/proc/${pid}`));
    let t0 = Date.now();
    await service.stop();
    console.log(`# synctl stop took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.equal(await processGone(pid), true, 'the Synapse process is gone');
    assert.equal(existsSync(pidFile), false, 'Synapse removed its pid file');
    assert.equal(await portOpen('127.0.0.1', hs!.state.port), false, 'the listener port is closed');
    assert.equal(await service.isRunning(), false);
    assert.equal(await health(hs!.baseUrl), false);
    t0 = Date.now();
    await service.start();
    console.log(`# synctl start to healthy took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.equal(await service.isRunning(), true);
    assert.equal(await health(hs!.baseUrl), true);
    const alice = await hs!.login();
    assert.equal((await alice.messages(hs!.rooms[1]!.roomId)).length, hs!.rooms[1]!.messages);
  });

  test('stop on a config without pid_file is refused with a hint', async () => {
    const exec = createExecutor({ kind: 'chroot', dir: hs!.state.chrootDir });
    const service = createSynctlService({ exec, configPath: `${hs!.state.chrootDir}/etc/matrix-synapse/log.yaml` });
    await assert.rejects(service.stop(), (e: unknown) => isWizardError(e) && e.code === 'CONFIG_CONFLICT' && /pid_file/.test(e.hint ?? ''));
  });

  test('sandbox down stops everything and removes its files', async () => {
    // a homeserver of its own, so that this test may run before or after the others
    const own = await startPracticeHomeserver({ users: 1, rooms: 1, messages: 1, postgres: true });
    const { state, stateDir } = own;
    const pid = Number(readFileSync(`${state.dirHost}/homeserver.pid`, 'utf8').trim());
    assert.ok(existsSync(`/proc/${pid}`) && (await portOpen('127.0.0.1', state.port)), 'it ran');
    await own.stop();
    assert.equal(await processGone(pid), true);
    assert.equal(await portOpen('127.0.0.1', state.port), false);
    assert.equal(existsSync(state.dirHost), false);
    assert.equal(existsSync(state.postgres!.dir), false);
    assert.equal(await readState(stateDir), undefined);
    assert.equal((await sandboxStatus({ stateDir })).up, false);
  });
});
