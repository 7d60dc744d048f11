// VACUUM FULL on a real cluster whose data directory sits on a small tmpfs: refused while the free space is less than the
// largest table, run once there is room, and the space reclaimed reported equals what pg_database_size says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabaseSql } from '../src/setup/steps/create-database.js';
import { freePort, pgBinDir } from './helpers/cluster.js';
import { runCli, stepStatuses } from './helpers/cli.js';

const asPostgres = (argv: string[], input?: string) => execFileSync('runuser', ['-u', 'postgres', '--', ...argv], { input, encoding: 'utf8' }).trim();

test('VACUUM FULL needs free disk of at least the largest table, and reports the space it gave back', async () => {
  if (process.getuid?.() !== 0) throw new Error('This test mounts a tmpfs and runs PostgreSQL as the postgres OS user: run it as root.');
  const bin = pgBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'spgw-maintain-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=120m,mode=0755', 'tmpfs', dir]);
  execFileSync('chown', ['postgres:postgres', dir]);
  const data = join(dir, 'data');
  const port = await freePort();
  const psql = (sql: string, db = 'postgres') => asPostgres([join(bin, 'psql'), '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', dir, '-p', String(port), '-d', db, '-f', '-'], sql);
  try {
    asPostgres([join(bin, 'initdb'), '-D', data, '-E', 'UTF8', '--locale=C', '--auth-local=peer', '--auth-host=scram-sha-256', '-U', 'postgres']);
    writeFileSync(join(data, 'postgresql.conf'), `\nport = ${port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '${dir}'\nfsync = off\nautovacuum = off\nshared_buffers = 16MB\nmax_wal_size = 64MB\nmin_wal_size = 32MB\n`, { flag: 'a' });
    asPostgres([join(bin, 'pg_ctl'), '-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
    const password = randomBytes(15).toString('base64url');
    psql(`CREATE ROLE synapse_user LOGIN PASSWORD '${password}'; ${createDatabaseSql('synapse', 'synapse_user')};`);
    // a stand-in for events: 8 MiB of rows, half of them deleted, so VACUUM FULL has space to give back
    psql(`SET ROLE synapse_user; CREATE TABLE events (id int PRIMARY KEY, body text);
          INSERT INTO events SELECT i, repeat(md5(i::text), 20) FROM generate_series(1, 10000) i;
          DELETE FROM events WHERE id % 2 = 0;`, 'synapse');
    const cfg = join(dir, 'homeserver.yaml');
    writeFileSync(cfg, `server_name: disk.test
listeners:
  - port: ${await freePort()}
    bind_addresses: ['127.0.0.1']
    type: http
    resources: [{ names: [client] }]
database:
  name: psycopg2
  args: { user: synapse_user, password: '${password}', dbname: synapse, host: 127.0.0.1, port: ${port} }
`);
    const largest = Number(psql(`SELECT pg_total_relation_size('events')`, 'synapse'));
    // fill the tmpfs until less than the largest table is free
    const fill = statfsSync(dir).bavail * statfsSync(dir).bsize - Math.floor(largest / 2);
    const filler = join(dir, 'filler');
    execFileSync('fallocate', ['-l', String(fill), filler]);
    const vacuum = () => runCli(['maintain', 'vacuum', '--full', '--yes', '--json', '-c', cfg, '--pg-admin', 'local'], { env: { PGHOST: dir, PGPORT: String(port) }, watchSecrets: [password] });

    const refused = await vacuum();
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    const step = refused.events.find((e) => e.event === 'step' && e.id === 'vacuum-full')!;
    assert.match(String(step.message), new RegExp(`^${data.replace(/[.]/g, '\\.')} has [0-9.]+ [KM]iB free, less than the largest table events \\([0-9.]+ [KM]iB\\) whose copy VACUUM FULL writes\\.$`));
    assert.equal(psql(`SELECT pg_total_relation_size('events')`, 'synapse'), String(largest), 'nothing was rewritten');

    rmSync(filler);
    const before = Number(psql(`SELECT pg_database_size('synapse')`));
    const ok = await vacuum();
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.deepEqual(ok.leaks, []);
    assert.deepEqual(stepStatuses(ok.events), { connect: 'done', 'offer-backup': 'skipped', 'vacuum-full': 'applied' });
    const after = Number(psql(`SELECT pg_database_size('synapse')`));
    const r = ok.events.find((e) => e.event === 'report' && e.id === 'vacuum-full')!;
    assert.deepEqual((r.bars as { value: number }[]).map((b) => b.value), [before, after]);
    assert.deepEqual(r.figures, [{ label: 'space reclaimed', value: before - after, unit: 'bytes' }]);
    assert.ok(before - after > 2 * 1024 * 1024, `half of 8 MiB given back (${before} -> ${after})`);
    console.log(`VACUUM FULL on the tmpfs: ${before} -> ${after} bytes`);
  } finally {
    spawnSync('runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop'], { stdio: 'ignore' });
    spawnSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});
