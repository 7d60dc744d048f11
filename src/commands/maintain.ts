// `synapse-pg maintain TASK`: turns flags and Synapse's config into the maintenance context and runs that task's steps.
import { createExecutor, type Executor } from '../adapters/exec.js';
import { SSL_MODES, type PgTls, type SslMode } from '../adapters/pg-tls.js';
import { createPgAdmin } from '../adapters/pg-admin.js';
import { commandLine, type ParsedArgs } from '../cli/args.js';
import { requireConfigPaths } from '../config/discover.js';
import { loadConfig, postgresConnection, type LoadedConfig } from '../config/load.js';
import { WizardError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';
import { runFlow, type FlowResult } from '../core/runner.js';
import type { MaintainContext } from '../maintain/context.js';
import { createSynapseDb } from '../maintain/db.js';
import { maintainSteps, TASK_CHOICES, TASK_TITLES } from '../maintain/flows.js';
import { createService } from '../synapse/service.js';
import { maintainCommandOptions, runFlags } from './options.js';
import type { Ui } from '../core/ui.js';
import { clientBaseUrl } from '../synapse/listener.js';

export async function newMaintainContext(args: ParsedArgs, ui: Ui, env: NodeJS.ProcessEnv = process.env): Promise<MaintainContext> {
  // on a terminal, `maintain` alone asks which task; in scripts it is the read-only report
  if (!args.positionals.length && ui.prompter.interactive) {
    args = { ...args, positionals: [await ui.prompter.select({ message: 'Which maintenance task?', options: TASK_CHOICES, initial: 'report' })] };
  }
  // cutover's options too: --pg-admin, --synapse-exec/--path-map/--service, and --sandbox (the practice homeserver after its cutover)
  const { maintain: opts, cutover: co } = await maintainCommandOptions(args, env);
  const paths = await requireConfigPaths(co.setup.configPaths, { cwd: co.setup.cwd, home: co.setup.home });
  const config = await loadConfig(paths);
  const pg = postgresConnection(config);
  if (!pg) {
    throw new WizardError('BLOCKED', `Synapse's config (${paths.join(', ')}) does not use PostgreSQL: maintenance works on a PostgreSQL database.`, { hint: `Move Synapse to PostgreSQL first: ${commandLine(args, 'cutover')}.` });
  }
  const password = pg.password ?? env.PGPASSWORD ?? '';
  registerSecret(password);
  const exec = createExecutor(co.synapseExec, co.pathMap);
  // TLS as Synapse connects (sslrootcert read through the path map), unless --db-sslmode says otherwise
  const dbArgs = { host: pg.host ?? 'localhost', port: pg.port ?? 5432, user: pg.user ?? 'synapse_user', password, dbname: pg.dbname ?? 'synapse', ...(co.setup.dbTls ?? configTls(config, exec)) };
  const baseUrl = opts.synapseUrl ?? clientBaseUrl(config.merged);
  if (!baseUrl) throw new WizardError('CONFIG_CONFLICT', 'The config has no HTTP listener with the "client" resource, so the Admin API cannot be found.', { hint: 'Pass --synapse-url http://127.0.0.1:8008 (where Synapse answers locally).' });
  const service = co.service ? createService(co.service, { exec, configPath: paths[0], baseUrl, startTimeoutMs: co.startTimeoutMs, stopTimeoutMs: co.stopTimeoutMs }) : undefined;
  return { opts, prompter: ui.prompter, emit: ui.emit, config, configPath: paths[0]!, db: createSynapseDb(dbArgs), baseUrl, exec, service, createAdmin: (spec) => createPgAdmin(spec), found: {} };
}

export async function runMaintain(args: ParsedArgs, ui: Ui): Promise<FlowResult> {
  const ctx = await newMaintainContext(args, ui);
  try {
    return await runFlow(maintainSteps(ctx.opts.task, ctx.opts.full), ctx, { flowId: `maintain-${ctx.opts.task}`, title: TASK_TITLES[ctx.opts.task], readOnly: ctx.opts.task === 'report', ...runFlags(args), prompter: ui.prompter, emit: ui.emit, signal: ui.signal, onFailure: ui.onFailure });
  } finally {
    await ctx.admin?.close();
  }
}

/** sslmode/sslrootcert of database.args, the root certificate's path as this host sees it. */
function configTls(config: LoadedConfig, exec: Executor): PgTls {
  const a = (config.database?.args ?? {}) as Record<string, unknown>;
  const mode = typeof a.sslmode === 'string' && (SSL_MODES as readonly string[]).includes(a.sslmode) ? (a.sslmode as SslMode) : undefined;
  if (!mode) return {};
  const root = typeof a.sslrootcert === 'string' ? (exec.toHost(a.sslrootcert) ?? a.sslrootcert) : undefined;
  return { sslmode: mode, ...(root ? { sslrootcert: root } : {}) };
}
