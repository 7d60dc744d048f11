// Preflight (read-only): every reason the cutover would fail, found before anything changes, each with its fix.
import { dirname } from 'node:path';
import { canWrite, freeBytes, unreadableBecause } from '../../adapters/files.js';
import { isLocalHost, isLoopbackHost } from '../../pg/host.js';
import { quoteLiteral } from '../../pg/identifiers.js';
import type { Step, StepContext } from '../../core/step.js';
import { requireAdmin } from '../../setup/context.js';
import type { CutoverContext } from '../context.js';
import { recorded } from '../context.js';
import { makeService } from '../service.js';
import { notSynapseSqlite, sqliteFacts } from '../sqlite-facts.js';
import { configProblems } from '../../setup/config-preflight.js';
import { inspectTarget } from '../target-db.js';
import { probeTools } from '../tools.js';
import { CopyEngineUnsupported, runDriver } from '../copy/driver.js';

export interface Finding {
  problem: string;
  fix?: string;
  /** false: a note; the cutover goes on. */
  blocking: boolean;
}

const gb = (n: number) => `${(n / 1e9).toFixed(2)} GB`;

async function sqliteFindings(ctx: CutoverContext, out: Finding[]): Promise<number> {
  const path = ctx.sqlitePath!;
  const unreadable = await unreadableBecause(path);
  if (unreadable) {
    out.push({ blocking: true, problem: `The SQLite file ${path} cannot be read (${unreadable}).`, fix: 'Run the wizard as root, and check database.args.database in the config (relative paths are relative to where Synapse starts).' });
    return 0;
  }
  const what = await notSynapseSqlite(path);
  if (what) {
    out.push({ blocking: true, problem: `${path} is not a Synapse database: ${what}.`, fix: 'Check database.args.database in the config Synapse runs with (-c): it must name the homeserver.db Synapse writes (relative paths are relative to where Synapse starts).' });
    return 0;
  }
  const f = await sqliteFacts(path, { quickCheck: ctx.journal.phase === 'phase1' && !recorded(ctx, 'port-snapshot') });
  if (f.quickCheck !== 'ok' && f.quickCheck !== 'not run') out.push({ blocking: true, problem: `PRAGMA quick_check reports damage in ${path}: ${f.quickCheck.slice(0, 300)}`, fix: 'Restore a backup, or repair the file (sqlite3 .recover) with Synapse stopped; porting a damaged file fails half way.' });
  if (f.autoVacuum !== 0) out.push({ blocking: true, problem: `PRAGMA auto_vacuum is ${f.autoVacuum} in ${path}; synapse_port_db relies on stable rowids and refuses it.`, fix: `Stop Synapse, run: sqlite3 ${path} "PRAGMA auto_vacuum=off; VACUUM;" once, start Synapse again, then run cutover. Never VACUUM between port runs.` });
  if (f.pendingBackgroundUpdates.length) {
    const names = f.pendingBackgroundUpdates.slice(0, 5).join(', ') + (f.pendingBackgroundUpdates.length > 5 ? ', ...' : '');
    const can = ctx.tools?.updateSynapseDatabase !== false;
    out.push({ blocking: !can, problem: `${f.pendingBackgroundUpdates.length} background update(s) are pending in ${path} (${names}); synapse_port_db refuses a file with pending updates.`, fix: can ? 'The wizard runs update_synapse_database --database-config <snapshot config> --run-background-updates on each snapshot with the same Synapse before porting it (your live file is not touched).' : 'Install update_synapse_database where the tools run, or start Synapse and wait until background_updates is empty.' });
  }
  if (ctx.tools && f.schemaVersion !== undefined) {
    const newest = Math.max(f.schemaVersion, f.compatVersion ?? 0);
    if ((f.compatVersion ?? 0) > ctx.tools.schemaVersion || f.schemaVersion > ctx.tools.schemaVersion) {
      out.push({ blocking: true, problem: `The SQLite schema (version ${newest}) is newer than the tools understand (Synapse ${ctx.tools.synapseVersion}, schema ${ctx.tools.schemaVersion}): "Cannot use this database as it is too new for the server to understand".`, fix: 'Port with the same Synapse that runs your homeserver, or a newer one (--synapse-exec).' });
    } else if (f.schemaVersion < ctx.tools.schemaVersion) {
      out.push({ blocking: false, problem: `The tools (schema ${ctx.tools.schemaVersion}) are newer than the SQLite schema (${f.schemaVersion}); they upgrade the snapshots they port, never your live file.` });
    }
  }
  return f.sizeBytes;
}

async function diskFindings(ctx: CutoverContext, sqliteBytes: number, out: Finding[]): Promise<void> {
  const snapDir = dirname(ctx.paths.snapshotDir);
  const free = await freeBytes(snapDir);
  const need = Math.ceil(sqliteBytes * 1.1);
  if (free !== undefined && free < need) out.push({ blocking: true, problem: `Only ${gb(free)} free in ${snapDir}; the snapshot needs about ${gb(need)}.`, fix: 'Free space there.' });
  const server = ctx.setup.server;
  const host = ctx.opts.setup.dbHost;
  const local = isLocalHost(host);
  const pgFree = server?.dataDirectory && local ? await freeBytes(server.dataDirectory) : undefined;
  if (pgFree !== undefined && pgFree < 2 * sqliteBytes) out.push({ blocking: true, problem: `Only ${gb(pgFree)} free for PostgreSQL's data directory ${server!.dataDirectory}; plan for twice the SQLite size (${gb(2 * sqliteBytes)}).`, fix: 'PostgreSQL needs 25-100% more than the SQLite file; free space or move the data directory.' });
  if (pgFree === undefined && server) out.push(await serverDiskUnknown(ctx, sqliteBytes, local));
}

/** Another host or a managed service: its free disk cannot be seen from here, so the sizes PostgreSQL itself reports stand in. */
async function serverDiskUnknown(ctx: CutoverContext, sqliteBytes: number, local: boolean): Promise<Finding> {
  const why = !local ? `PostgreSQL runs on ${ctx.opts.setup.dbHost}, not on this machine` : 'the admin connection may not read data_directory';
  const [sizes] = await requireAdmin(ctx.setup)
    .query<{ target: string | null; total: string | null }>(
      `SELECT (SELECT pg_database_size(datname) FROM pg_database WHERE datname = ${quoteLiteral(ctx.opts.setup.dbName)})::text AS target,
              (SELECT sum(pg_database_size(datname)) FROM pg_database WHERE has_database_privilege(datname, 'CONNECT'))::text AS total`,
    )
    .catch(() => [undefined]);
  const now = sizes?.total ? ` PostgreSQL reports its databases take ${gb(Number(sizes.total))} now${sizes.target ? ` (${ctx.opts.setup.dbName}: ${gb(Number(sizes.target))})` : ''}.` : '';
  return { blocking: false, problem: `The server's free disk space is unknown here (${why}); the ported database will take about ${gb(1.25 * sqliteBytes)} to ${gb(2 * sqliteBytes)} (1.25-2x the SQLite file).${now}`, fix: "Check the server's free storage (the provider's console, or df on the server) before the cutover; a full disk stops the port half way." };
}

async function targetFindings(ctx: CutoverContext, out: Finding[]): Promise<void> {
  const { dbName } = ctx.opts.setup;
  const t = await inspectTarget(requireAdmin(ctx.setup), dbName, ctx.sqlitePath);
  const ours = recorded(ctx, 'postgres-config');
  switch (t.kind) {
    case 'missing':
    case 'empty':
      return;
    case 'port':
      if (t.lineageProblem) out.push({ blocking: true, problem: `Database ${dbName} holds an earlier port, but ${t.lineageProblem}.`, fix: `Drop and recreate it (DROP DATABASE "${dbName}"; then run cutover again): a port only resumes on the same SQLite lineage.` });
      else out.push({ blocking: false, problem: `Database ${dbName} holds an earlier port of this SQLite file (${t.events} events); synapse_port_db resumes it.` });
      return;
    case 'synapse':
      if (ours) return; // our own port, interrupted before synapse_port_db created port_from_sqlite3
      out.push({ blocking: true, problem: `Database ${dbName} already holds a Synapse schema (${t.tables} tables) that is not a port: Synapse or its tools started on it.`, fix: `Porting into it ends in "duplicate key value violates unique constraint". Drop and recreate it: DROP DATABASE "${dbName}"; then run cutover again (it creates it with the right locale).` });
      return;
    case 'other':
      out.push({ blocking: true, problem: `Database ${dbName} is not empty (${t.tables} tables) and holds no Synapse data.`, fix: 'Choose another database with --db-name, or drop this one if it is not needed.' });
  }
}

/** The copy engine reads its rules from the installed synapse_port_db; a script that lacks one makes this cutover use port-db. */
async function engineFindings(ctx: CutoverContext, sc: StepContext, out: Finding[]): Promise<void> {
  try {
    const d = await runDriver({ exec: ctx.exec, python: ctx.tools!.python, mode: 'rules', sqlite: '-', postgresConfig: '-', signal: sc.signal });
    out.push({ blocking: false, problem: `Engine: copy (COPY, with the rules of the installed synapse_port_db ${d.rules.synapseVersion}: ${d.rules.appendOnly.length} append-only tables, ${Object.keys(d.rules.booleanColumns).length} tables with boolean columns).` });
  } catch (e) {
    if (!(e instanceof CopyEngineUnsupported)) throw e;
    ctx.opts.engine = 'port-db';
    out.push({ blocking: false, problem: `${e.message} This cutover uses synapse_port_db alone (--engine port-db): slower, same result.` });
  }
}

async function collect(ctx: CutoverContext, sc: StepContext): Promise<Finding[]> {
  const out: Finding[] = [];
  const t0 = Date.now();
  const probe = await probeTools(ctx.exec);
  if (probe.ok) {
    ctx.tools = probe.info;
    ctx.stepData.toolsProbeMs = Date.now() - t0;
    sc.log(`Synapse's tools: Synapse ${probe.info.synapseVersion} (schema ${probe.info.schemaVersion}) ${ctx.exec.target.kind === 'local' ? 'on this machine' : `in ${ctx.exec.wrap([]).join(' ')}`}.`);
    if (ctx.opts.engine === 'copy') await engineFindings(ctx, sc, out);
  } else out.push({ blocking: true, problem: probe.problem, fix: probe.fix });
  const downtime = ctx.journal.phase === 'downtime';
  if (!ctx.sqlitePath) {
    out.push({ blocking: true, problem: 'The config names no SQLite file to port (":memory:" or no database section).', fix: 'Pass the config Synapse really runs with (-c).' });
  } else {
    const bytes = await sqliteFindings(ctx, out);
    if (!downtime && !recorded(ctx, 'snapshot')) await diskFindings(ctx, bytes, out);
  }
  const service = makeService(ctx, (l) => sc.log(l));
  if (!service) out.push({ blocking: true, problem: 'synctl is not installed where the tools run, and no --service was given, so the wizard cannot stop and start Synapse.', fix: 'Pass --service systemd[:UNIT] (Debian: matrix-synapse), compose:FILE[:SERVICE], docker:CONTAINER or synctl.' });
  else {
    ctx.service = service;
    if (!ctx.baseUrl && ctx.opts.container) out.push({ blocking: true, problem: `The container publishes no host port for Synapse's client listener, so the wizard cannot check /health from this host after the start.`, fix: 'Publish it in the compose file (ports: ["127.0.0.1:8008:8008"]) or with docker run -p, and recreate the container.' });
    else if (!ctx.baseUrl) out.push({ blocking: true, problem: 'The config has no HTTP listener with a port, so the wizard cannot check /health after the start.', fix: 'Add a client listener to homeserver.yaml.' });
    const running = await service.isRunning().catch(() => false);
    if (!downtime) out.push({ blocking: false, problem: running ? `Synapse is running (${service.describe()}); it keeps running during phase 1.` : `Synapse is not running (${service.describe()}); phase 1 ports a snapshot anyway.` });
  }
  if (!downtime) await targetFindings(ctx, out);
  const host = ctx.opts.setup.dbHost;
  const t = ctx.exec.target;
  if ((t.kind === 'docker' || t.kind === 'compose') && isLoopbackHost(host) && !ctx.opts.container?.hostNetwork) {
    out.push({ blocking: false, problem: `Synapse's tools run in ${t.kind === 'docker' ? `container ${t.container}` : `the compose service ${t.service}`}, where ${host} is the container itself (unless it uses the host's network).`, fix: 'If PostgreSQL runs on the host, pass --db-host with an address the container reaches (e.g. the Docker bridge 172.17.0.1) and allow it in pg_hba.conf.' });
  }
  // the config as Synapse's own loader reads it, no anchors in database:, and the swap can write it (immutable, read-only, space)
  const main = ctx.config?.databaseFile ?? ctx.config?.files[0];
  if (!recorded(ctx, 'swap-config') && main) {
    for (const p of await configProblems(ctx.exec, ctx.config, [{ path: main.path, bytes: 3 * Buffer.byteLength(main.text) + 64 * 1024, what: 'the Synapse config' }])) out.push({ blocking: true, problem: p.message, fix: p.hint });
  }
  if (!(await canWrite(ctx.paths.postgresConfig))) out.push({ blocking: true, problem: `${ctx.paths.configDir} is not writable, so homeserver-postgres.yaml cannot be written beside the config.`, fix: 'Run the wizard as root (or as the owner of the config directory).' });
  return out;
}

export const preflight: Step<CutoverContext> = {
  id: 'preflight',
  title: 'Preflight checks',
  why: 'Every known reason for a port to fail half way is looked for first, and all of them are listed at once with their fixes.',
  async check(ctx, sc) {
    const db = ctx.config.database;
    if (db?.name === 'psycopg2' && ctx.journal.phase !== 'downtime') {
      if (ctx.journal.phase === 'done') return { status: 'done', message: `The cutover finished at ${ctx.journal.servedOnPostgresAt ?? ctx.journal.steps['start-synapse']?.finishedAt}; Synapse is configured for PostgreSQL.` };
      return { status: 'blocked', code: 'BLOCKED', message: `The config already uses PostgreSQL (database ${String(db.args?.dbname ?? db.args?.database ?? '?')}); there is nothing to port.`, hint: 'Run synapse-pg status to see where things stand.' };
    }
    if (ctx.journal.phase === 'done') {
      return { status: 'blocked', code: 'BLOCKED', message: `A cutover finished at ${ctx.journal.servedOnPostgresAt ?? '?'}, but the config uses SQLite again, so Synapse was switched back by hand; PostgreSQL may hold rows SQLite lacks.`, hint: `To move again from SQLite, keep the old journal (mv ${ctx.paths.journal} ${ctx.paths.journal}.old) and drop and recreate the target database, then run cutover.` };
    }
    const findings = await collect(ctx, sc);
    const blocking = findings.filter((f) => f.blocking);
    const notes = findings.filter((f) => !f.blocking).map((f) => `Note: ${f.problem}${f.fix ? ` Fix: ${f.fix}` : ''}`);
    if (blocking.length) {
      return {
        status: 'blocked',
        code: 'BLOCKED',
        // what does not block is said too: the rerun after the fixes would otherwise meet it as news
        message: [`${blocking.length} problem(s) must be fixed before the cutover: ${blocking.map((f, i) => `(${i + 1}) ${f.problem}`).join(' ')}`, ...notes].join(' '),
        hint: blocking.map((f, i) => `(${i + 1}) ${f.fix ?? 'see above'}`).join(' '),
      };
    }
    return { status: 'done', message: ['No blocking problems.', ...notes].join(' ') };
  },
  async apply() {
    return 'Nothing to apply.';
  },
  async verify() {
    return { ok: true, message: 'read-only checks passed.' };
  },
};
