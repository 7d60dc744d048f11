// `synapse-pg cutover`: turns flags (or the sandbox's state file) into the cutover context and runs the cutover flow.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { createExecutor } from '../adapters/exec.js';
import { commandLine, type ParsedArgs } from '../cli/args.js';
import { requireConfigPaths } from '../config/discover.js';
import { loadConfig, sqliteDatabasePath } from '../config/load.js';
import { WizardError } from '../core/errors.js';
import { runFlow, type FlowResult } from '../core/runner.js';
import { cutoverPaths, type CutoverContext, type CutoverOptions } from '../cutover/context.js';
import { cutoverSteps } from '../cutover/flow.js';
import { findSqliteVersion, type SwapData } from '../cutover/steps/swap-config.js';
import { archiveJournal, newJournal, readJournal, writeJournal } from '../cutover/journal.js';
import { acquireLock } from '../cutover/lock.js';
import { newSetupContext } from '../setup/context.js';
import { cutoverOptions } from './options.js';
import { publishedBaseUrl } from '../synapse/container.js';
import { clientListener } from '../synapse/listener.js';
import { MESSAGES } from '../core/messages.js';
import type { Ui } from '../core/ui.js';

export async function newCutoverContext(opts: CutoverOptions, ui: Ui, log: (m: string) => void, dryRun = false): Promise<CutoverContext> {
  const paths = await requireConfigPaths(opts.setup.configPaths, { cwd: opts.setup.cwd, home: opts.setup.home });
  const config = await loadConfig(paths);
  // Synapse resolves a relative SQLite path against its working directory; the config's directory is the usual one.
  const exec = createExecutor(opts.synapseExec, opts.pathMap);
  const configDirInside = exec.toInside(join(paths[0]!, '..'));
  // The config names the file as Synapse sees it (inside its container or chroot); the wizard reads it on the host.
  let sqliteInside = sqliteDatabasePath(config, configDirInside);
  const p0 = cutoverPaths(config, undefined);
  const j0 = await readJournal(p0.journal);
  // A cutover killed after its config swap: the config is on PostgreSQL already, and the SQLite file is the one named by the
  // SQLite version the swap kept. The journal is read first, so the rerun continues there instead of starting over.
  if (sqliteInside === undefined && config.database?.name === 'psycopg2' && j0 && (j0.phase === 'downtime' || j0.phase === 'done')) {
    const swap = (j0.steps['swap-config']?.data as SwapData | undefined) ?? (await findSqliteVersion(config, p0.oldSqliteConfig));
    if (swap) {
      const before = await loadConfig(config.files.map((f) => (f.path === swap.file ? swap.sqliteCopy : f.path)));
      sqliteInside = sqliteDatabasePath(before, configDirInside);
      log(`The config is on PostgreSQL already (switched at ${j0.steps['swap-config']?.finishedAt ?? 'an interrupted run'}); continuing the cutover from ${p0.journal}, with the SQLite file named in ${swap.sqliteCopy}.`);
    }
  }
  const sqlite = sqliteInside === undefined ? undefined : exec.toHost(sqliteInside) ?? sqliteInside;
  const p = cutoverPaths(config, sqlite);
  // A generated password must survive a rerun: keep it beside the journal unless the admin named a file.
  opts.setup.dbPasswordFile ??= join(p.workDir, 'db-password');
  let journal = j0;
  let resumed = !!journal;
  if (journal?.phase === 'rolled-back') {
    const kept = dryRun ? p.journal : await archiveJournal(p.journal);
    log(`The last attempt was rolled back (${journal.rollbackReason ?? 'see its journal'}); it is kept as ${kept}. Starting a new attempt.`);
    journal = undefined;
    resumed = false;
  }
  if (journal?.target && (journal.target.dbName !== opts.setup.dbName || journal.target.port !== opts.setup.dbPort || journal.target.host !== opts.setup.dbHost)) {
    throw new WizardError('BAD_INPUT', `An unfinished cutover to database ${journal.target.dbName} on ${journal.target.host}:${journal.target.port} is recorded in ${p.journal}.`, { hint: 'Run cutover with the same --db-name/--db-host/--db-port to continue it, or run synapse-pg status.' });
  }
  if (resumed) log(`Continuing the cutover started at ${journal!.startedAt} (phase ${journal!.phase}); finished steps are not run again.`);
  const j = journal ?? newJournal();
  j.target ??= { host: opts.setup.dbHost, port: opts.setup.dbPort, dbName: opts.setup.dbName, dbUser: opts.setup.dbUser };
  const ctx: CutoverContext = {
    opts,
    prompter: ui.prompter,
    setup: { ...newSetupContext(opts.setup, ui.prompter), config },
    exec,
    config,
    sqlitePath: sqlite,
    paths: p,
    journal: j,
    resumed,
    stepData: {},
    saveJournal: () => writeJournal(p.journal, j),
  };
  // in a container the listener's port is the container's: /health is reached through the port published for it
  const listener = opts.container && clientListener(config.merged, { orFirst: true });
  if (opts.container && listener) ctx.baseUrl = publishedBaseUrl(opts.container, listener.port);
  return ctx;
}

/** What a finished cutover leaves and how to go back, said once at the end. */
function nextSteps(ctx: CutoverContext, args: ParsedArgs): string {
  const swap = ctx.journal.steps['swap-config']?.data as SwapData | undefined;
  return MESSAGES.cutoverNextSteps({
    sqlite: ctx.sqlitePath ?? 'named in the old config',
    snapshots: ctx.paths.snapshotDir,
    file: swap?.file ?? ctx.paths.mainConfig,
    sqliteCopy: swap?.sqliteCopy ?? ctx.paths.oldSqliteConfig,
    backup: commandLine(args, 'maintain', 'backup'),
  });
}

export async function runCutover(args: ParsedArgs, ui: Ui): Promise<FlowResult> {
  const opts = await cutoverOptions(args);
  const dryRun = !!args.flags['dry-run'];
  // what the context found (a resumed run, an archived attempt) is said after the flow event, so --json starts with 'flow'
  const early: string[] = [];
  const ctx = await newCutoverContext(opts, ui, (message) => early.push(message), dryRun);
  const emit: Ui['emit'] = (e) => {
    ui.emit(e);
    if (e.event === 'flow') for (const message of early.splice(0)) ui.emit({ event: 'log', id: e.steps[0]?.id, level: 'info', message });
  };
  const release = dryRun ? async () => {} : await acquireLock(ctx.paths.workDir);
  try {
    if (!dryRun) await fs.mkdir(ctx.paths.workDir, { recursive: true, mode: 0o700 });
    return await runFlow(cutoverSteps, ctx, { flowId: 'cutover', title: `Cutover: SQLite to PostgreSQL (${opts.engine === 'copy' ? 'COPY engine' : 'synapse_port_db'})`, dryRun, yes: !!args.flags.yes, summarize: async (_o, r) => (r.ok && !dryRun && ctx.journal.phase === 'done' ? { ...r, hint: nextSteps(ctx, args) } : r), review: true, reviewNotes: MESSAGES.cutoverReviewNotes, prompter: ui.prompter, emit, signal: ui.signal, onFailure: ui.onFailure });
  } finally {
    await ctx.setup.admin?.close();
    await release();
  }
}
