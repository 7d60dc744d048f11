// `synapse-pg sandbox up|status|down` through the built binary: the real Synapse in the chroot on SQLite with users, rooms and
// messages a client reads back, a PostgreSQL cluster that takes a superuser login; `down` stops both and removes what `up` made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { health, login } from '../src/synapse/client.js';
import { runCli } from './helpers/cli.js';
import { requireSynapseChroot } from './helpers/synapse.js';

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** A running process, not a zombie (an exited daemon stays a zombie until init reaps it). */
function pidAlive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

test('sandbox up, status and down through the binary: a real homeserver and cluster, then nothing left', { timeout: 400_000 }, async () => {
  requireSynapseChroot();
  const stateDir = join(mkdtempSync(join(tmpdir(), 'spgw-sandbox-cli-')), 'state');
  let state: any;
  try {
    const up = await runCli(['sandbox', 'up', '--yes', '--state-dir', stateDir, '--json'], { timeoutMs: 300_000 });
    assert.equal(up.code, 0, up.stdout + up.stderr);
    state = JSON.parse(readFileSync(join(stateDir, 'sandbox.json'), 'utf8'));
    const secretsPath = join(stateDir, 'sandbox-secrets.json');
    assert.equal(statSync(secretsPath).mode & 0o777, 0o600, 'the secrets file is 0600');
    const secrets = JSON.parse(readFileSync(secretsPath, 'utf8')) as { passwords: Record<string, string>; postgresPassword: string };
    const allSecrets = [secrets.postgresPassword, ...Object.values(secrets.passwords)];
    for (const s of allSecrets) assert.ok(!up.stdout.includes(s) && !up.stderr.includes(s), 'no secret printed');
    const upArgv = up.argvs.map((a) => a.join(' ')).join('\n');
    for (const s of allSecrets) assert.ok(!upArgv.includes(s), 'no secret in any child argv');
    assert.match(String(up.events.at(-1)!.message), new RegExp(`runs on SQLite at ${state.baseUrl.replace(/[.]/g, '\\.')}`));

    // Synapse answers, on SQLite, and a client reads the practice messages back
    assert.equal(await health(state.baseUrl), true);
    assert.equal((readFileSync(state.configPathHost, 'utf8').match(/name: sqlite3/) ?? []).length, 1);
    const user = state.users[0].user as string;
    const session = await login(state.baseUrl, user, secrets.passwords[user]!);
    let messages = 0;
    for (const room of state.rooms as { roomId: string }[]) messages += (await session.messages(room.roomId)).length;
    assert.equal(messages, state.messageCount, 'every practice message is served');
    // PostgreSQL takes the superuser's password over TCP
    const client = new pg.Client({ host: '127.0.0.1', port: state.postgres.port, user: 'postgres', password: secrets.postgresPassword, database: 'postgres' });
    await client.connect();
    assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1);
    await client.end();

    const status = await runCli(['sandbox', 'status', '--state-dir', stateDir, '--json']);
    assert.equal(status.code, 0, status.stdout + status.stderr);
    assert.match(String(status.events.at(-1)!.message), new RegExp(`Synapse running and healthy at .*; PostgreSQL running on 127\\.0\\.0\\.1:${state.postgres.port}`));

    const pid = Number(readFileSync(join(state.chrootDir, readFileSync(state.configPathHost, 'utf8').match(/^pid_file: "?([^"\n]+)"?$/m)![1]!), 'utf8').trim());
    assert.ok(pidAlive(pid), `Synapse's pid ${pid} is alive`);

    const down = await runCli(['sandbox', 'down', '--yes', '--state-dir', stateDir, '--json'], { timeoutMs: 180_000 });
    assert.equal(down.code, 0, down.stdout + down.stderr);
    assert.equal(await health(state.baseUrl), false, 'Synapse no longer answers');
    assert.equal(pidAlive(pid), false, 'its process is gone');
    assert.equal(await portOpen(state.postgres.port), false, 'PostgreSQL no longer listens');
    assert.equal(existsSync(state.dirHost), false, 'the homeserver directory in the chroot is removed');
    assert.equal(existsSync(state.postgres.dir), false, "the cluster's directory is removed");
    const after = await runCli(['sandbox', 'status', '--state-dir', stateDir, '--json']);
    assert.match(String(after.events.at(-1)!.message), /^No practice homeserver/);
    state = undefined;
  } finally {
    if (state) await runCli(['sandbox', 'down', '--yes', '--state-dir', stateDir, '--json'], { timeoutMs: 180_000 });
    rmSync(join(stateDir, '..'), { recursive: true, force: true });
  }
});
