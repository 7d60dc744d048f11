// cutover over the network: the practice homeserver (real Synapse in its chroot, on SQLite) moves into a PostgreSQL on
// "another host" (a network namespace, TLS with verify-full, hostssl-only pg_hba.conf), reached through a CREATEROLE/CREATEDB
// admin only; with each engine, and Synapse then serves every message from there over TLS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { health } from '../src/synapse/client.js';
import { describeRun, done, logs, runWizard, stepEvent } from './cutover-helpers.js';
import { startRemotePg } from './helpers/netns.js';
import { startPracticeHomeserver } from './helpers/synapse.js';

for (const engine of ['copy', 'port-db'] as const) {
  test(`cutover --engine ${engine} into a namespaced TLS server with a non-superuser admin: Synapse serves every message from it over verify-full`, { timeout: 400_000 }, async () => {
    const hs = await startPracticeHomeserver({ users: 2, rooms: 2, messages: 20 });
    const r = startRemotePg();
    const tmp = mkdtempSync(join(tmpdir(), 'spgw-remote-cutover-'));
    try {
      // the CA goes where Synapse (in its chroot) can read it: beside its config
      const ca = join(dirname(hs.configPath), 'db-ca.crt');
      copyFileSync(r.ca.caFile, ca);
      const pwFile = join(tmp, 'db-password');
      const flags = [
        'cutover', '--yes', '--json', '--engine', engine,
        '--synapse-exec', `chroot:${hs.state.chrootDir}`, '--service', 'synctl', '-c', hs.configPath,
        '--pg-admin', `url:${r.adminUrl}`, '--db-host', r.addr, '--db-port', String(r.port), '--db-password-file', pwFile,
        '--db-sslmode', 'verify-full', '--db-sslrootcert', ca,
      ];
      if (engine === 'copy') {
        // a CA file outside the chroot: Synapse could not open it, so the cutover refuses before writing anything
        const outside = flags.map((f) => (f === ca ? r.ca.caFile : f)).concat('--dry-run');
        const dry = await runWizard(outside, undefined, { PGPASSWORD: r.admin.password });
        assert.equal(dry.code, 1, describeRun(dry));
        const failed = dry.events.find((e) => e.event === 'step' && e.status === 'failed');
        assert.equal(failed?.id, 'postgres-config', describeRun(dry));
        assert.match(String(failed?.message), /is not visible where Synapse runs \(the chroot /);
        assert.match(String(failed?.hint), /--path-map/);
      }
      const run = await runWizard(flags, undefined, { PGPASSWORD: r.admin.password });
      assert.equal(run.code, 0, describeRun(run));
      assert.equal(done(run)?.ok, true);
      assert.match(String(stepEvent(run, 'pg-admin')?.message), /not a superuser/);
      // the server's disk cannot be seen from here: said so, with the sizes PostgreSQL reports
      assert.match([...logs(run, 'preflight'), stepEvent(run, 'preflight')?.message ?? ''].join('\n'), new RegExp(`Note: The server's free disk space is unknown here \\(PostgreSQL runs on ${r.addr.replaceAll('.', '\\.')}, not on this machine\\); the ported database will take about [0-9.]+ GB to [0-9.]+ GB \\(1\\.25-2x the SQLite file\\)\\. PostgreSQL reports its databases take [0-9.]+ GB now`));
      assert.match(String(stepEvent(run, 'postgres-config')?.message), new RegExp(`sslmode verify-full with sslrootcert ${hs.state.dirInside}/db-ca\\.crt as Synapse sees it`));

      // the config Synapse runs with names the CA by its path inside the chroot
      const args = parse(readFileSync(hs.configPath, 'utf8')).database.args;
      assert.equal(args.sslmode, 'verify-full');
      assert.equal(args.sslrootcert, `${hs.state.dirInside}/db-ca.crt`);
      assert.equal(args.host, r.addr);

      // Synapse answers, from the namespaced server, over TLS
      assert.ok(await health(hs.baseUrl));
      const sessions = Number(r.psql(`SELECT count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.usename = 'synapse_user' AND a.datname = 'synapse' AND s.ssl`));
      assert.ok(sessions > 0, 'Synapse holds TLS sessions in the namespaced PostgreSQL');
      assert.equal(r.psql(`SELECT count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.usename = 'synapse_user' AND NOT s.ssl`), '0');
      assert.equal(r.psql(`SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'synapse'`), 'synapse_user');

      // every practice message comes back through the client API, in order, and a new one is stored there
      const session = await hs.login();
      const bodies: string[] = [];
      for (const room of hs.rooms) for (const m of await session.messages(room.roomId)) bodies.push(m.body);
      assert.equal(bodies.filter((b) => b.startsWith('practice message ')).length, 20);
      await session.sendMessage(hs.rooms[0]!.roomId, 'first message on the remote PostgreSQL');
      assert.ok(Number(r.psql(`SELECT count(*) FROM events WHERE type = 'm.room.message'`, 'synapse')) >= 21);

      if (engine === 'copy') {
        // maintenance connects as Synapse does: verify-full, the CA read through the chroot; the server's disk is unknown from here
        const report = await runWizard(['maintain', 'report', '--json', '-c', hs.configPath, '--synapse-exec', `chroot:${hs.state.chrootDir}`]);
        assert.equal(report.code, 0, describeRun(report));
        const sizes = report.events.find((e) => e.event === 'report') as { figures?: { label: string; value: unknown }[] } | undefined;
        assert.ok(Number(sizes?.figures?.find((f) => f.label === 'database')?.value) > 0, JSON.stringify(sizes));
        assert.equal(sizes?.figures?.find((f) => f.label === 'free disk')?.value, `unknown: PostgreSQL runs on ${r.addr}, not on this machine`);
      }
    } finally {
      await hs.stop();
      r.stop();
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}
