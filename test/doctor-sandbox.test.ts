// Doctor on the practice homeserver (--sandbox: its config, chroot, synctl and PostgreSQL from the state file), real Synapse on SQLite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { health } from '../src/synapse/client.js';
import { runCli } from './helpers/cli.js';
import { startPracticeHomeserver } from './helpers/synapse.js';

test('doctor --sandbox: a leftover database in the practice PostgreSQL is found before the port and recreated empty; Synapse keeps serving', async () => {
  const hs = await startPracticeHomeserver({ users: 1, rooms: 1, messages: 3, postgres: true });
  try {
    const sql = async (database: string, ...statements: string[]) => {
      const c = new pg.Client({ host: '127.0.0.1', port: hs.postgres!.port, user: 'postgres', password: hs.postgres!.password, database });
      c.on('error', () => undefined);
      await c.connect();
      try {
        for (const s of statements) await c.query(s);
      } finally {
        await c.end();
      }
    };
    await sql('postgres', 'CREATE ROLE synapse_user LOGIN', `CREATE DATABASE synapse OWNER synapse_user TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
    await sql('synapse', `CREATE TABLE schema_version (lock char(1) NOT NULL DEFAULT 'X', version int NOT NULL, upgraded bool NOT NULL)`, `INSERT INTO schema_version VALUES ('X', 94, true)`);

    const r = await runCli(['doctor', '--sandbox', '--state-dir', hs.stateDir, '--yes', '--json'], { watchSecrets: [hs.postgres!.password], timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const found = Object.fromEntries(r.events.filter((e) => e.event === 'finding').map((e) => [String(e.id), e.fixed]));
    console.log(`# doctor --sandbox findings: ${JSON.stringify(found)}`);
    assert.equal(found['port-target-not-empty'], true, r.stdout);
    // every problem is fixed; advice (pending background updates, which the cutover runs on its snapshots) may be left
    const problems = r.events.filter((e) => e.event === 'finding' && e.severity === 'problem');
    assert.ok(problems.length > 0 && problems.every((e) => e.fixed === true), JSON.stringify(found));
    assert.deepEqual(r.leaks, []);
    assert.ok(!r.stdout.includes(hs.postgres!.password));
    const check = new pg.Client({ host: '127.0.0.1', port: hs.postgres!.port, user: 'postgres', password: hs.postgres!.password, database: 'synapse' });
    check.on('error', () => undefined);
    await check.connect();
    try {
      assert.equal((await check.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`)).rows[0].n, 0);
    } finally {
      await check.end();
    }
    assert.equal(await health(hs.baseUrl), true);
    assert.equal((await (await hs.login()).joinedRooms()).length, 1, 'the practice homeserver still serves its data');
  } finally {
    await hs.stop();
  }
});
