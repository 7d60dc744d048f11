// maintain restore killed with SIGKILL while pg_restore runs: the half-restored database carries the wizard's mark, the next
// run recognises it, drops it and restores again, and every table then holds the rows of the source. A real cluster.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabaseSql } from '../src/setup/steps/create-database.js';
import { freePort, startCluster } from './helpers/cluster.js';
import { runCli, stepStatuses, type CliOptions } from './helpers/cli.js';

/** Pids of pg_restore processes reading `dump` (from /proc: the wizard's child, or its orphan after the kill). */
function restorePids(dump: string): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      const args = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      return args.some((a) => a.endsWith('pg_restore')) && args.includes(dump) && !args.includes('--list') ? [Number(d)] : [];
    } catch {
      return [];
    }
  });
}

test('restore killed during pg_restore: the rerun drops the half-restored database, restores again, proves the rows', { timeout: 300_000 }, async () => {
  const c = await startCluster();
  try {
    const dir = mkdtempSync(join(tmpdir(), 'spgw-restore-kill-'));
    const password = 'R' + randomBytes(15).toString('base64url');
    c.psql(`CREATE ROLE synapse_user LOGIN PASSWORD '${password}'; ${createDatabaseSql('synapse', 'synapse_user')};`);
    // Enough rows that pg_restore is still at work when the kill lands.
    c.psql(`SET ROLE synapse_user; CREATE TABLE events (id bigint PRIMARY KEY, body text); CREATE TABLE receipts (id bigint, body text);
            INSERT INTO events SELECT i, repeat(md5(i::text), 8) FROM generate_series(1, 400000) i;
            INSERT INTO receipts SELECT i, md5(i::text) FROM generate_series(1, 200000) i;`, 'synapse');
    const cfg = join(dir, 'homeserver.yaml');
    writeFileSync(cfg, `server_name: restore.test\nlisteners:\n  - port: ${await freePort()}\n    bind_addresses: ['127.0.0.1']\n    type: http\n    resources: [{ names: [client] }]\ndatabase:\n  name: psycopg2\n  args: { user: synapse_user, password: '${password}', dbname: synapse, host: 127.0.0.1, port: ${c.port} }\n`, { mode: 0o600 });
    const dump = join(dir, 'synapse.dump');
    const maintain = (more: string[], onLine?: CliOptions['onLine']) => runCli(['maintain', ...more, '--yes', '--json', '-c', cfg, '--pg-admin', 'local'], { env: c.env, watchSecrets: [password], timeoutMs: 240_000, onLine });
    const b = await maintain(['backup', '--backup-file', dump]);
    assert.equal(b.code, 0, b.stdout + b.stderr);

    const args = ['restore', '--backup-file', dump, '--restore-db', 'synapse_restored'];
    let killed = false;
    const first = await maintain(args, (line, child) => {
      if (!killed && /pg_restore is reading/.test(line)) {
        killed = true;
        // killed once pg_restore is really running on the dump (its process is there), not after a fixed delay
        void (async () => {
          const giveUp = Date.now() + 60_000;
          while (restorePids(dump).length === 0 && Date.now() < giveUp) await new Promise((r) => setTimeout(r, 10));
          child.kill('SIGKILL');
        })();
      }
    });
    assert.ok(killed && first.code === null, `the restore was killed while pg_restore ran: ${first.stdout}`);
    // Let an orphaned pg_restore finish or fail on its own (until its process is gone); the mark must still be there.
    const giveUp = Date.now() + 120_000;
    while (restorePids(dump).length > 0 && Date.now() < giveUp) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(restorePids(dump), [], 'the orphaned pg_restore ended');
    assert.equal(c.psql(`SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = 'synapse_restored'`), `synapse-pg: restore of ${dump} in progress`);

    const second = await maintain(args);
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.deepEqual(stepStatuses(second.events), { connect: 'done', superuser: 'done', 'restore-target': 'applied', restore: 'applied' });
    assert.match(String(second.events.find((e) => e.event === 'check' && e.id === 'restore-target')?.message), /holds a restore of .* that an earlier run did not finish/);
    for (const t of ['events', 'receipts']) assert.equal(c.psql(`SELECT count(*) FROM ${t}`, 'synapse_restored'), c.psql(`SELECT count(*) FROM ${t}`, 'synapse'), `${t} rows`);
    assert.equal(c.psql(`SELECT coalesce(shobj_description(oid, 'pg_database'), 'none') FROM pg_database WHERE datname = 'synapse_restored'`), 'none', 'the mark is cleared once the rows are proven');

    // A finished restore is never dropped again: the next run refuses the existing database.
    const third = await maintain(args);
    assert.equal(third.code, 1, third.stdout);
    assert.match(String(third.events.find((e) => e.event === 'step' && e.id === 'restore-target')?.message), /exists already; a restore never goes over an existing database/);
  } finally {
    c.stop();
  }
});
