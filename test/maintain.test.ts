// synapse-pg maintain on the real Synapse (Debian sid chroot) running on a throwaway PostgreSQL cluster, driven through the built
// binary with flags only: purge (events gone, room usable), empty rooms (listed, deleted, gone), vacuum, size report equal to
// PostgreSQL's own figures, backup restorable with equal row counts (never over an existing database), VACUUM FULL, compress.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { createExecutor } from '../src/adapters/exec.js';
import { setDatabaseSection } from '../src/config/database-block.js';
import { generateHomeserver } from '../src/sandbox/homeserver.js';
import { createDatabaseSql } from '../src/setup/steps/create-database.js';
import { health, registerWithSharedSecret, type MatrixSession } from '../src/synapse/client.js';
import { parseCommandLine } from '../src/cli/args.js';
import { runMaintain } from '../src/commands/maintain.js';
import type { RunnerEvent } from '../src/core/events.js';
import type { Prompter } from '../src/core/prompter.js';
import { createSynctlService } from '../src/synapse/service.js';
import { freePort, startCluster, type Cluster } from './helpers/cluster.js';
import { runCli, stepStatuses, type CliResult } from './helpers/cli.js';
import { requireSynapseChroot } from './helpers/synapse.js';

type Ev = Record<string, any>;
const reports = (r: CliResult, id: string): Ev[] => r.events.filter((e) => e.event === 'report' && e.id === id);
const figure = (e: Ev, label: string) => (e.figures as { label: string; value: number | string }[]).find((f) => f.label === label)?.value;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function counts(c: Cluster, db: string): Record<string, number> {
  const out = c.psql(`SELECT c.relname || '=' || (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM public.%I', c.relname), false, true, '')))[1]::text
                        FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'public' AND c.relkind = 'r' ORDER BY 1`, db);
  return Object.fromEntries(out.split('\n').map((l) => [l.split('=')[0]!, Number(l.split('=')[1])]));
}

/** A TCP relay to `target` on a port of its own; counts the connections it carried. */
async function relay(target: URL): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  let n = 0;
  const server = createServer((client) => {
    n++;
    const up = connect(Number(target.port), target.hostname);
    client.pipe(up).pipe(client);
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, connections: () => n, close: () => new Promise((r) => server.close(() => r())) };
}

async function leave(s: MatrixSession, roomId: string): Promise<void> {
  const r = await fetch(`${s.baseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/leave`, { method: 'POST', headers: { authorization: `Bearer ${s.accessToken}`, 'content-type': 'application/json' }, body: '{}' });
  assert.equal(r.status, 200, await r.text());
}

test('maintain on the real Synapse on PostgreSQL: purge, rooms, vacuum, report, backup and restore, VACUUM FULL, compress', async () => {
  const t0 = Date.now();
  const chroot = requireSynapseChroot();
  const exec = createExecutor({ kind: 'chroot', dir: chroot });
  // autovacuum off: the size report is compared byte for byte with what PostgreSQL says a moment later
  const c = await startCluster({ extraConf: 'autovacuum = off' });
  const files = await generateHomeserver(exec, { serverName: `maint${process.pid}.test`, port: await freePort() });
  const service = createSynctlService({ exec, configPath: files.configPathHost, baseUrl: files.baseUrl, startTimeoutMs: 180_000 });
  const work = mkdtempSync(join(tmpdir(), 'spgw-maintain-'));
  try {
    const dbPassword = randomBytes(15).toString('base64url');
    c.psql(`CREATE ROLE synapse_user LOGIN PASSWORD '${dbPassword}'; ${createDatabaseSql('synapse', 'synapse_user')};`);
    const args = { user: 'synapse_user', password: dbPassword, dbname: 'synapse', host: '127.0.0.1', port: c.port, cp_min: 1, cp_max: 5 };
    writeFileSync(files.configPathHost, setDatabaseSection(readFileSync(files.configPathHost, 'utf8'), { name: 'psycopg2', args }));
    await service.start();
    const admin = await registerWithSharedSecret(files.baseUrl, files.registrationSharedSecret, 'admin', randomBytes(12).toString('base64url'), true);
    const bob = await registerWithSharedSecret(files.baseUrl, files.registrationSharedSecret, 'bob', randomBytes(12).toString('base64url'), false);
    const tokenFile = join(work, 'admin-token');
    writeFileSync(tokenFile, admin.accessToken + '\n', { mode: 0o600 });
    const secrets = [admin.accessToken, dbPassword];
    const maintain = async (...more: string[]) => {
      const r = await runCli(['maintain', ...more, '--json', '-c', files.configPathHost], { env: c.env, watchSecrets: secrets, timeoutMs: 300_000 });
      assert.deepEqual(r.leaks, [], 'no secret in any argv');
      for (const s of secrets) assert.ok(!r.stdout.includes(s) && !r.stderr.includes(s), 'no secret in the output');
      return r;
    };

    // a room with history before and after a cut-off, and a room that every local member left
    const history = await admin.createRoom({ name: 'history', preset: 'public_chat' });
    await bob.joinRoom(history);
    for (let i = 0; i < 6; i++) await admin.sendMessage(history, `old ${i}`);
    await sleep(50);
    const cutoff = Date.now();
    await sleep(50);
    for (let i = 0; i < 3; i++) await bob.sendMessage(history, `new ${i}`);
    const abandoned = await admin.createRoom({ name: 'abandoned', preset: 'public_chat' });
    await bob.joinRoom(abandoned);
    await admin.sendMessage(abandoned, 'anyone here?');
    await leave(bob, abandoned);
    await leave(admin, abandoned);
    console.log(`homeserver on PostgreSQL ready after ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // purge: events before the cut-off drop, later messages stay readable, the room takes new ones; a backup first
    const oldEvents = () => Number(c.psql(`SELECT count(*) FROM events WHERE room_id = '${history}' AND origin_server_ts < ${cutoff}`, 'synapse'));
    // without --delete-local-events, local events are kept (every event here is local): the same rows, the old messages' JSON
    // included (Synapse keeps them as outliers, so /messages no longer pages back to them)
    const keptBefore = oldEvents();
    const keep = await maintain('purge', '--yes', '--room', history, '--before', String(cutoff), '--admin-token-file', tokenFile);
    assert.equal(keep.code, 0, keep.stdout + keep.stderr);
    assert.equal(stepStatuses(keep.events).purge, 'applied');
    assert.equal(oldEvents(), keptBefore, 'no local event before the cut-off was deleted');
    const oldBodies = () => Number(c.psql(`SELECT count(*) FROM event_json j JOIN events e USING (event_id) WHERE e.room_id = '${history}' AND e.origin_server_ts < ${cutoff} AND j.json LIKE '%"body":"old %'`, 'synapse'));
    assert.equal(oldBodies(), 6, 'the six old messages are still stored');
    const before = oldEvents();
    const prePurge = join(work, 'pre-purge.dump');
    const p = await maintain('purge', '--yes', '--room', history, '--before', String(cutoff), '--delete-local-events', '--admin-token-file', tokenFile, '--backup-file', prePurge);
    assert.equal(p.code, 0, p.stdout + p.stderr);
    assert.deepEqual(stepStatuses(p.events), { connect: 'done', 'admin-token': 'done', 'purge-scope': 'done', 'offer-backup': 'applied', purge: 'applied' });
    assert.ok(existsSync(prePurge) && (statSync(prePurge).mode & 0o777) === 0o600, 'the backup before the purge exists, mode 0600');
    const after = oldEvents();
    console.log(`purge: ${before} -> ${after} events before the cut-off`);
    assert.ok(after <= before - 6, `the 6 old messages are gone (${before} -> ${after})`);
    const pr = reports(p, 'purge')[0]!;
    assert.equal(figure(pr, 'events before the purge'), before);
    assert.equal(figure(pr, 'events after the purge'), after);
    const bodies = (await bob.messages(history)).map((m) => m.body);
    assert.deepEqual(bodies, ['new 0', 'new 1', 'new 2']);
    await admin.sendMessage(history, 'still usable');
    assert.deepEqual((await bob.messages(history)).map((m) => m.body).slice(-1), ['still usable']);

    // rooms without local members: --dry-run lists and plans, deleting nothing
    const dry = await maintain('rooms', '--dry-run', '--admin-token-file', tokenFile);
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    assert.equal(stepStatuses(dry.events)['delete-rooms'], 'planned');
    assert.match(JSON.stringify(dry.events.find((e) => e.event === 'plan' && e.id === 'delete-rooms')), new RegExp(`DELETE /_synapse/admin/v2/rooms/${abandoned.replace(/[.$!]/g, '\\$&')}`));
    assert.equal(c.psql(`SELECT count(*) FROM rooms WHERE room_id = '${abandoned}'`, 'synapse'), '1');
    // --synapse-url wins over the listener in the config: the same dry run through a TCP relay on another port reaches Synapse
    // only through the relay, which counts its connections
    const relayed = await relay(new URL(files.baseUrl));
    try {
      const via = await maintain('rooms', '--dry-run', '--admin-token-file', tokenFile, '--synapse-url', relayed.url);
      assert.equal(via.code, 0, via.stdout + via.stderr);
      assert.equal(stepStatuses(via.events)['delete-rooms'], 'planned');
      assert.ok(relayed.connections() > 0, 'the Admin API was called at --synapse-url');
    } finally {
      await relayed.close();
    }
    const nowhere = await freePort();
    const refusedUrl = await maintain('rooms', '--dry-run', '--admin-token-file', tokenFile, '--synapse-url', `http://127.0.0.1:${nowhere}`);
    assert.equal(refusedUrl.code, 1, 'nothing listens at that --synapse-url');
    assert.match(JSON.stringify(refusedUrl.events), new RegExp(`127\\.0\\.0\\.1:${nowhere}`), 'and the failure names it');
    // ... then listed (only the abandoned one), deleted, gone from rooms
    const rr = await maintain('rooms', '--yes', '--admin-token-file', tokenFile);
    assert.equal(rr.code, 0, rr.stdout + rr.stderr);
    const listed = reports(rr, 'empty-rooms')[0]!;
    // Synapse forgets the name of a room once no local user is in it, so the id is what is listed
    assert.deepEqual((listed.bars as { label: string }[]).map((b) => b.label.split(' ')[0]), [abandoned]);
    assert.equal(figure(listed, 'rooms without local members'), 1);
    assert.equal(stepStatuses(rr.events)['delete-rooms'], 'applied');
    assert.equal(c.psql(`SELECT count(*) FROM rooms WHERE room_id = '${abandoned}'`, 'synapse'), '0');
    assert.equal(c.psql(`SELECT count(*) FROM events WHERE room_id = '${abandoned}'`, 'synapse'), '0');
    assert.equal(c.psql(`SELECT count(*) FROM rooms WHERE room_id = '${history}'`, 'synapse'), '1');

    // --all-rooms takes every room the Admin API lists; --dry-run shows the counts and the plan, and changes nothing
    const all = await maintain('purge', '--dry-run', '--all-rooms', '--before', String(Date.now() - 1000), '--admin-token-file', tokenFile);
    assert.equal(all.code, 0, all.stdout + all.stderr);
    const scope = reports(all, 'purge-scope')[0]!;
    assert.deepEqual((scope.bars as { label: string }[]).map((b) => b.label), [history]);
    assert.equal(stepStatuses(all.events).purge, 'planned');

    // VACUUM FULL refuses a running Synapse; VACUUM (ANALYZE) runs online and reports
    const refused = await maintain('vacuum', '--full', '--yes', '--pg-admin', 'local');
    assert.equal(refused.code, 1);
    assert.equal(stepStatuses(refused.events)['vacuum-full'], 'failed');
    const refusal = refused.events.find((e) => e.event === 'step' && e.id === 'vacuum-full')!;
    assert.equal(refusal.message, `Synapse is running (${files.baseUrl}/health answers OK); VACUUM FULL would lock its tables for the whole run.`);
    assert.match(String(refusal.hint), /pass --service so the wizard stops it and starts it again/);
    assert.equal(await health(files.baseUrl), true, 'and Synapse was left running');
    const v = await maintain('vacuum', '--yes');
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.ok(Number(figure(reports(v, 'vacuum')[0]!, 'tables vacuumed and analysed')) > 100);

    // the token typed at the masked prompt (no file) is never shown in any event
    const seen: RunnerEvent[] = [];
    let asked = '';
    const prompter: Prompter = {
      interactive: true,
      confirm: async () => true,
      text: async (q) => q.initial ?? '',
      password: async (q) => ((asked += q.message), admin.accessToken),
      // `maintain` alone on a terminal asks for the task
      select: async <T extends string>(q: { message: string; options: { value: T }[] }) => ((asked += `${q.message} ${q.options.map((o) => o.value).join('|')}; `), 'rooms' as T),
    };
    const inProcess = await runMaintain(parseCommandLine(['maintain', '-c', files.configPathHost]), { emit: (e) => seen.push(e), prompter, signal: new AbortController().signal });
    assert.equal(inProcess.ok, true, inProcess.message);
    assert.match(asked, /^Which maintenance task\? report\|backup\|restore\|vacuum\|purge\|rooms\|compress; .*access token \(input hidden\)$/);
    assert.ok(!JSON.stringify(seen).includes(admin.accessToken), 'the token is in no event');
    assert.deepEqual(seen.filter((e) => e.event === 'step').map((e) => `${(e as { id: string }).id}:${(e as { status: string }).status}`), ['connect:done', 'admin-token:done', 'empty-rooms:done', 'offer-backup:skipped', 'delete-rooms:skipped']);

    // VACUUM FULL with --service: the wizard stops Synapse, vacuums, starts it again and proves it serves
    const svc = await maintain('vacuum', '--full', '--yes', '--pg-admin', 'local', '--service', 'synctl', '--synapse-exec', `chroot:${chroot}`);
    assert.equal(svc.code, 0, svc.stdout + svc.stderr);
    assert.match(String(svc.events.find((e) => e.event === 'step' && e.id === 'vacuum-full')?.message), /Synapse serves again/);
    assert.equal(await health(files.baseUrl), true);

    // Killed right after it stopped Synapse: the next run knows the wizard stopped it, vacuums, and starts it again.
    const vacuumArgs = ['maintain', 'vacuum', '--full', '--yes', '--pg-admin', 'local', '--service', 'synctl', '--synapse-exec', `chroot:${chroot}`, '--json', '-c', files.configPathHost];
    let killedVacuum = false;
    const cut = await runCli(vacuumArgs, {
      env: c.env,
      timeoutMs: 300_000,
      onLine: (line, child) => {
        if (!killedVacuum && /Stopping Synapse/.test(line)) {
          killedVacuum = true;
          // killed as soon as Synapse no longer answers (the wizard then still proves the stop, runs VACUUM FULL, starts it)
          void (async () => {
            for (let i = 0; i < 1200 && (await health(files.baseUrl, { timeoutMs: 1000 })); i++) await sleep(100);
            child.kill('SIGKILL');
          })();
        }
      },
    });
    assert.ok(killedVacuum && cut.code === null, `VACUUM FULL was killed after it began to stop Synapse: ${cut.stdout}`);
    assert.equal(await health(files.baseUrl), false, 'the killed run left Synapse stopped');
    const resumed = await runCli(vacuumArgs, { env: c.env, watchSecrets: secrets, timeoutMs: 300_000 });
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    assert.ok(resumed.events.some((e) => e.event === 'log' && /An earlier run stopped Synapse for VACUUM FULL and was interrupted/.test(String(e.message))), resumed.stdout);
    assert.match(String(resumed.events.find((e) => e.event === 'step' && e.id === 'vacuum-full')?.message), /Synapse serves again/);
    assert.equal(await health(files.baseUrl), true, 'Synapse serves again after the rerun');

    // Synapse stopped from here on: nothing writes, so PostgreSQL's figures can be compared exactly
    await service.stop();
    const rep = await maintain('report', '--pg-admin', 'local', '--top', '10');
    assert.equal(rep.code, 0, rep.stdout + rep.stderr);
    const sr = reports(rep, 'size-report')[0]!;
    const pgTop = c.psql(`SELECT c.relname || '=' || pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
                          WHERE s.nspname = 'public' AND c.relkind IN ('r', 'p', 'm') ORDER BY pg_total_relation_size(c.oid) DESC, c.relname LIMIT 10`, 'synapse');
    assert.deepEqual((sr.bars as { label: string; value: number }[]).map((b) => `${b.label}=${b.value}`), pgTop.split('\n'));
    assert.equal(figure(sr, 'database'), Number(c.psql(`SELECT pg_database_size('synapse')`)));
    const dataDir = c.psql('SHOW data_directory');
    assert.ok(Number(figure(sr, `free disk at ${dataDir}`)) > 0, JSON.stringify(sr.figures));
    // --sandbox: the practice homeserver's state names the config, and the superuser by URL (its password only in that 0600 file)
    const stateDir = join(work, 'sandbox-state');
    const pgPassword = randomBytes(15).toString('base64url');
    c.psql(`ALTER ROLE postgres PASSWORD '${pgPassword}'`);
    mkdirSync(stateDir, { mode: 0o700 });
    writeFileSync(join(stateDir, 'sandbox.json'), JSON.stringify({ version: 1, chrootDir: chroot, configPathHost: files.configPathHost, postgres: { port: c.port } }));
    writeFileSync(join(stateDir, 'sandbox-secrets.json'), JSON.stringify({ registrationSharedSecret: files.registrationSharedSecret, passwords: {}, postgresPassword: pgPassword }), { mode: 0o600 });
    const sb = await runCli(['maintain', 'report', '--json', '--sandbox', '--state-dir', stateDir], { watchSecrets: [pgPassword, dbPassword] });
    assert.equal(sb.code, 0, sb.stdout + sb.stderr);
    assert.deepEqual(sb.leaks, []);
    assert.ok(!sb.stdout.includes(pgPassword));
    assert.equal(figure(reports(sb, 'size-report')[0]!, 'database'), figure(sr, 'database'));
    assert.ok(Number(figure(reports(sb, 'size-report')[0]!, `free disk at ${dataDir}`)) > 0, 'the data directory read through the URL superuser');

    // without --json (no terminal): the same report as a text bar chart
    const plainReport = await runCli(['maintain', 'report', '--top', '3', '-c', files.configPathHost], { env: c.env });
    assert.equal(plainReport.code, 0, plainReport.stderr);
    const [firstTable] = pgTop.split('\n')[0]!.split('=');
    assert.match(plainReport.stdout, new RegExp(`\\| ${firstTable} +#{30} [0-9.]+ [KM]iB\\n`));
    console.log(`report: database ${figure(sr, 'database')} bytes, largest ${pgTop.split('\n')[0]}`);

    // backup, then restore into a new database: every table holds the rows of the source; an existing database is refused
    const dump = join(work, 'synapse.dump');
    const b = await maintain('backup', '--yes', '--backup-file', dump);
    assert.equal(b.code, 0, b.stdout + b.stderr);
    assert.equal((statSync(dump).mode & 0o777), 0o600);
    // the row counts kept beside it (mode 0600) are PostgreSQL's own, read here with count(*) (Synapse is stopped: nothing writes)
    const manifestFile = `${dump}.rows.json`;
    assert.equal(statSync(manifestFile).mode & 0o777, 0o600);
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { database: string; excludedData: string[]; rows: Record<string, number> };
    assert.equal(manifest.database, 'synapse');
    assert.deepEqual(manifest.excludedData, ['e2e_one_time_keys_json']);
    const expectedRows = counts(c, 'synapse');
    const keptRows = { ...manifest.rows };
    for (const t of manifest.excludedData) {
      delete expectedRows[t];
      delete keptRows[t];
    }
    assert.deepEqual(keptRows, expectedRows);
    const list = execFileSync('pg_restore', ['--list', dump], { encoding: 'utf8' });
    assert.match(list, /TABLE public e2e_one_time_keys_json /);
    assert.doesNotMatch(list, /TABLE DATA public e2e_one_time_keys_json /);
    assert.match(list, /TABLE DATA public events /);
    const res = await maintain('restore', '--yes', '--backup-file', dump, '--restore-db', 'synapse_restored', '--pg-admin', 'local');
    assert.equal(res.code, 0, res.stdout + res.stderr);
    const src = counts(c, 'synapse');
    const dst = counts(c, 'synapse_restored');
    src.e2e_one_time_keys_json = 0;
    assert.deepEqual(dst, src);
    assert.equal(c.psql(`SELECT datcollate || ' ' || datctype || ' ' || pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'synapse_restored'`), 'C C synapse_user');
    console.log(`restore: ${Object.keys(dst).length} tables, ${Object.values(dst).reduce((a, n) => a + n, 0)} rows, equal to the source`);
    const again = await maintain('restore', '--yes', '--backup-file', dump, '--restore-db', 'synapse_restored', '--pg-admin', 'local');
    assert.equal(again.code, 1);
    assert.match(String(again.events.find((e) => e.event === 'step' && e.id === 'restore-target')?.message), /exists already; a restore never goes over an existing database/);

    // VACUUM FULL with Synapse stopped: the space reclaimed is what pg_database_size says
    const sizeBefore = Number(c.psql(`SELECT pg_database_size('synapse')`)); // Synapse stopped, autovacuum off: nothing changes it
    const full = await maintain('vacuum', '--full', '--yes', '--pg-admin', 'local');
    assert.equal(full.code, 0, full.stdout + full.stderr);
    const fr = reports(full, 'vacuum-full')[0]!;
    const [fb, fa] = (fr.bars as { value: number }[]).map((x) => x.value);
    assert.equal(fb, sizeBefore, "the size before is PostgreSQL's, read by the test before the run");
    assert.equal(fa, Number(c.psql(`SELECT pg_database_size('synapse')`)));
    assert.equal(figure(fr, 'space reclaimed'), Math.max(0, fb! - fa!));
    console.log(`VACUUM FULL: ${fb} -> ${fa} bytes`);

    // compress: not installed here, and the wizard says how to get it, truthfully
    const comp = await runCli(['maintain', 'compress', '--json', '--yes', '-c', files.configPathHost], { env: { ...c.env, PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
    assert.equal(comp.code, 1, comp.stdout + comp.stderr);
    const tool = comp.events.find((e) => e.event === 'step' && e.id === 'compress-tool')!;
    assert.match(String(tool.message), /synapse_auto_compressor is not installed/);
    assert.match(String(tool.hint), /not packaged in Debian/);
    assert.match(String(tool.hint), /cargo install --git https:\/\/github.com\/matrix-org\/rust-synapse-compress-state synapse_auto_compressor/);
  } finally {
    if (await service.isRunning().catch(() => false)) await service.stop().catch(() => undefined);
    rmSync(files.dirHost, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
    c.stop();
  }
});
