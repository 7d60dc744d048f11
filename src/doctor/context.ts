// What every diagnosis may look at: the merged Synapse config, Synapse's own connection, a superuser connection, error texts.
import { dirname } from 'node:path';
import type { PgAdmin } from '../adapters/pg-admin.js';
import type { SynapseDbArgs } from '../adapters/pg-login.js';
import type { ProbeResult } from '../adapters/synapse-probe.js';
import { createExecutor, type Executor } from '../adapters/exec.js';
import type { Ui } from '../core/ui.js';
import { findConfigPaths } from '../config/discover.js';
import { loadConfig, postgresConnection, sqliteDatabasePath, type LoadedConfig } from '../config/load.js';
import { toWizardError, WizardError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';
import { quietStepContext } from '../core/step.js';
import type { CutoverOptions } from '../cutover/context.js';
import { newSetupContext, type SetupContext } from '../setup/context.js';
import { pgAdmin } from '../setup/steps/pg-admin.js';
import { lastFailedStart } from './synapse-log.js';
import { createService, type SynapseService } from '../synapse/service.js';

export interface DoctorOptions {
  dryRun: boolean;
  yes: boolean;
  /** cutover's options: the setup flags, where Synapse's tools run and how it is stopped and started (--sandbox applied). */
  cutover: CutoverOptions;
  /** --allow-unsafe-locale: fix a wrong COLLATE/CTYPE by setting allow_unsafe_locale instead of recreating the database. */
  unsafeLocale: boolean;
  /** Lines of --error TEXT and --log FILE. */
  errorLines: string[];
  /** Whether a way to run Synapse was named (--service, --synapse-exec): then the doctor may stop and start it. */
  serviceGiven: boolean;
  /** --ca-file: the CA that signed the OIDC provider's certificate. */
  caFile?: string;
}

export interface DoctorContext {
  opts: DoctorOptions;
  /** The setup context: the doctor reuses setup's steps (pg_hba.conf, superuser connection) on it. */
  setup: SetupContext;
  config: LoadedConfig | null;
  /** Why the config could not be read or parsed (then `config` is null). */
  configError?: WizardError;
  /** Synapse's connection as its config says (psycopg2), or the target the flags name when the config is still on SQLite. */
  target: { host: string; port: number; user: string; dbname: string; password?: string };
  onPostgres: boolean;
  sqlitePath?: string;
  /** Set when the superuser connection could not be made; checks that need it are skipped with this reason. */
  adminError?: string;
  exec: Executor;
  service?: SynapseService;
  /** The Synapse log whose last, failed start supplied the error lines (when no --error/--log was given). */
  logSource?: string;
  /** Connecting as Synapse does (psycopg2 with every database.args key): the ground truth every verdict rests on. */
  probe?: ProbeResult;
  /** The /health URL that answered OK, where Synapse should be running (for the verdict). */
  healthSeen?: string;
}

export function requireDoctorAdmin(ctx: DoctorContext): PgAdmin {
  if (!ctx.setup.admin || ctx.adminError) throw new WizardError('PG_UNREACHABLE', `no superuser connection (${ctx.adminError ?? 'not made'})`);
  return ctx.setup.admin;
}

/** The server facts of the superuser connection; throws like requireDoctorAdmin when PostgreSQL could not be reached. */
export function requireServer(ctx: DoctorContext): NonNullable<SetupContext['server']> {
  requireDoctorAdmin(ctx);
  if (!ctx.setup.server) throw new WizardError('PG_UNREACHABLE', `no superuser connection (${ctx.adminError ?? 'the server settings could not be read'})`);
  return ctx.setup.server;
}

export function synapseArgs(ctx: DoctorContext): SynapseDbArgs | undefined {
  const t = ctx.target;
  if (t.password === undefined) return undefined;
  return { host: t.host, port: t.port, user: t.user, password: t.password, dbname: t.dbname };
}

export async function newDoctorContext(opts: DoctorOptions, ui: Ui): Promise<DoctorContext> {
  const co = opts.cutover;
  const so = co.setup;
  const setup = newSetupContext(so, ui.prompter);
  let configError: WizardError | undefined;
  let config: LoadedConfig | null = null;
  try {
    const paths = await findConfigPaths(so.configPaths, { cwd: so.cwd, home: so.home });
    config = paths ? await loadConfig(paths) : null;
  } catch (e) {
    // an unreadable config is itself a finding; the checks that do not need it still run
    configError = toWizardError(e);
    if (configError.code === 'BAD_INPUT') throw configError;
  }
  setup.config = config;
  const pg = postgresConnection(config);
  const onPostgres = pg !== undefined;
  const target = {
    host: pg ? pg.host ?? '' : so.dbHost,
    // libpq's default when database.args has no port, as Synapse connects
    port: pg ? pg.port ?? 5432 : so.dbPort,
    user: pg?.user ?? so.dbUser,
    dbname: pg?.dbname ?? so.dbName,
    password: pg?.password,
  };
  registerSecret(target.password);
  // setup's steps read these
  so.dbUser = target.user;
  so.dbName = target.dbname;
  so.dbHost = target.host || 'localhost';
  so.dbPort = target.port;
  setup.password = target.password;
  setup.passwordSource = 'config';
  let adminError: string | undefined;
  try {
    const c = await pgAdmin.check(setup, quietStepContext(ui.signal));
    if (c.status === 'blocked') adminError = c.message + (c.hint ? ` ${c.hint}` : '');
  } catch (e) {
    const err = toWizardError(e);
    adminError = err.message + (err.hint ? ` ${err.hint}` : '');
  }
  const exec = createExecutor(co.synapseExec, co.pathMap);
  const spec = co.service ?? { kind: 'synctl' as const };
  let service: SynapseService | undefined;
  const main = config?.files[0]?.path;
  if (spec.kind !== 'synctl' || main) service = createService(spec, { exec, configPath: main });
  // Synapse resolves a relative SQLite path against its working directory; the config's directory is the usual one.
  const inside = config && !onPostgres ? sqliteDatabasePath(config, main ? exec.toInside(dirname(main)) : so.cwd) : undefined;
  const sqlitePath = inside && exec.target.kind !== 'local' ? exec.toHost(inside) ?? inside : inside;
  const ctx: DoctorContext = { opts: { ...opts, errorLines: [...opts.errorLines] }, setup, config, configError, target, onPostgres, sqlitePath, adminError, exec, service };
  if (!ctx.opts.errorLines.length) {
    const failed = await lastFailedStart(ctx).catch(() => undefined);
    if (failed) {
      ctx.opts.errorLines = failed.lines;
      ctx.logSource = failed.path;
    }
  }
  return ctx;
}
