// Every command's flags turned into typed, validated options, in one place: the layers below get these objects, never the flags.
import { homedir } from 'node:os';
import { parseExecTarget, parsePathMap } from '../adapters/exec.js';
import { parsePgAdminSpec, type PgAdminSpec } from '../adapters/pg-admin.js';
import { parseSslMode, type PgTls } from '../adapters/pg-tls.js';
import { portFlag, type ParsedArgs } from '../cli/args.js';
import { WizardError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';
import type { CutoverOptions, PortEngine } from '../cutover/context.js';
import type { DoctorOptions } from '../doctor/context.js';
import { readLogLines } from '../doctor/log-lines.js';
import { MAINTAIN_TASKS, type MaintainOptions, type MaintainTask } from '../maintain/context.js';
import { validateIdentifier } from '../pg/identifiers.js';
import { DEFAULT_CHROOT, defaultStateDir, readSecrets, readState } from '../sandbox/state.js';
import type { SetupOptions } from '../setup/context.js';
import { containerExecTarget, containerFacts, containerNetworks, hostAddressFromContainer, type ContainerFacts } from '../synapse/container.js';
import { parseServiceSpec, type ServiceSpec } from '../synapse/service.js';

type Env = NodeJS.ProcessEnv;

/** --dry-run and --yes, as the runner takes them. */
export function runFlags(args: ParsedArgs): { dryRun: boolean; yes: boolean } {
  return { dryRun: !!args.flags['dry-run'], yes: !!args.flags.yes };
}

function validHost(h: string): string {
  if (!/^[A-Za-z0-9.:_/-]+$/.test(h)) throw new WizardError('BAD_INPUT', `--db-host "${h}" is not a host name, an IP address or a socket directory.`, { hint: 'Use localhost (TCP, the usual choice), an IP address, or a host name.' });
  return h;
}

/** --db-sslmode and --db-sslrootcert; verify-ca/verify-full need the CA file (libpq would look in ~/.postgresql/ of Synapse's user). */
export function dbTlsOptions(f: ParsedArgs['flags']): PgTls | undefined {
  const mode = f['db-sslmode'] === undefined ? undefined : parseSslMode(f['db-sslmode'], '--db-sslmode');
  const root = f['db-sslrootcert'];
  if (root !== undefined && !root.startsWith('/')) throw new WizardError('BAD_INPUT', `--db-sslrootcert "${root}" is not an absolute path.`, { hint: 'Synapse reads it from its own working directory: give the full path, e.g. /etc/matrix-synapse/db-ca.crt.' });
  if (!mode && !root) return undefined;
  if (!mode) throw new WizardError('BAD_INPUT', '--db-sslrootcert needs --db-sslmode verify-full (or verify-ca).', { hint: 'For example: --db-sslmode verify-full --db-sslrootcert /etc/matrix-synapse/db-ca.crt' });
  if (mode.startsWith('verify-') && !root) throw new WizardError('BAD_INPUT', `--db-sslmode ${mode} needs --db-sslrootcert FILE: the CA that signed the server's certificate.`, { hint: "Download your provider's CA bundle (RDS, Cloud SQL, Azure and DigitalOcean publish one) and pass its path." });
  return { sslmode: mode, ...(root ? { sslrootcert: root } : {}) };
}

/** --pg-admin, with a URL's connection using the database's TLS settings too. */
function pgAdminOption(spec: string, tls: PgTls | undefined): PgAdminSpec {
  const parsed = parsePgAdminSpec(spec);
  return parsed.kind === 'url' && tls ? { ...parsed, tls } : parsed;
}

/** setup's flags: the role, the database, how to reach PostgreSQL as a superuser, pg_hba.conf. */
export function setupOptions(args: ParsedArgs, env: Env = process.env): SetupOptions {
  const f = args.flags;
  const pgHba = f['pg-hba'] ?? 'edit';
  if (pgHba !== 'edit' && pgHba !== 'skip') throw new WizardError('BAD_INPUT', `--pg-hba "${pgHba}" is not edit or skip.`, { hint: 'Use --pg-hba skip on managed servers whose pg_hba.conf you cannot edit.' });
  const dbTls = dbTlsOptions(f);
  return {
    configPaths: f.config,
    pgAdmin: pgAdminOption(f['pg-admin'] ?? 'local', dbTls),
    dbUser: validateIdentifier('role', f['db-user'] ?? 'synapse_user', '--db-user'),
    dbName: validateIdentifier('database', f['db-name'] ?? 'synapse', '--db-name'),
    dbHost: validHost(f['db-host'] ?? 'localhost'),
    dbPort: portFlag(f['db-port'] ?? env.PGPORT, '--db-port', 5432),
    dbPasswordFile: f['db-password-file'],
    ...(dbTls ? { dbTls } : {}),
    setPassword: !!f['set-password'],
    pgHba,
    writeConfig: !!f['write-config'],
    cwd: process.cwd(),
    home: env.HOME ?? homedir(),
    explicit: args.explicit,
    synapseExec: f['synapse-exec'] === undefined ? undefined : parseExecTarget(f['synapse-exec'], '--synapse-exec'),
  };
}

/**
 * --service compose:FILE[:SERVICE] or docker:CONTAINER, resolved by the engine: unless the admin said otherwise, PostgreSQL on this
 * host is reached at the host's address on the container's bridge, and pg_hba.conf allows the bridge networks.
 */
async function containerSetup(service: ServiceSpec | undefined, args: ParsedArgs, setup: SetupOptions, needGateway = true): Promise<ContainerFacts | undefined> {
  const facts = service ? await containerFacts(service) : undefined;
  if (!facts) return undefined;
  const gateway = hostAddressFromContainer(facts);
  // the doctor looks anyway (a project taken down is a state it must diagnose); setup and cutover cannot guess the address
  if (!gateway && !args.explicit.has('db-host') && needGateway) {
    const nets = facts.networks.map((n) => n.name).join(', ') || 'none';
    throw new WizardError('BAD_INPUT', `The network of ${service!.kind === 'compose' ? `the compose service` : 'the container'} (${nets}) does not exist yet or has no IPv4 gateway, so the wizard cannot tell at which address Synapse in the container reaches PostgreSQL on this host.`, {
      hint: service!.kind === 'compose' ? 'Create it first: docker compose up -d (or docker compose create), then run again; or pass --db-host.' : 'Start the container once, or pass --db-host.',
    });
  }
  if (gateway && !args.explicit.has('db-host')) setup.dbHost = gateway;
  if (!facts.hostNetwork) setup.clientNetworks = containerNetworks(facts);
  setup.pathMap = facts.mounts.map(({ host, inside }) => ({ host, inside }));
  return facts;
}

/** setup's options, with what --service compose:/docker: implies for the PostgreSQL address and pg_hba.conf. */
/** setup's options as the command takes them: with --sandbox, the practice homeserver's config and PostgreSQL (as cutover has them). */
export async function setupCommandOptions(args: ParsedArgs, env: Env = process.env): Promise<SetupOptions> {
  if (args.flags.sandbox) return (await cutoverOptions(args, env)).setup;
  const setup = setupOptions(args, env);
  if (args.flags.service) await containerSetup(parseServiceSpec(args.flags.service), args, setup);
  return setup;
}

/** cutover's flags on top of setup's: where Synapse's tools run, how it is stopped and started, and --sandbox's overrides. */
/** --engine copy|port-db: the COPY engine by default; synapse_port_db alone as the reference and the fallback. */
export function portEngine(value: string | undefined): PortEngine {
  if (value === undefined || value === 'copy') return 'copy';
  if (value === 'port-db') return 'port-db';
  throw new WizardError('BAD_INPUT', `--engine "${value}" is not an engine.`, { hint: 'Use --engine copy (COPY, the default) or --engine port-db (synapse_port_db alone).' });
}

export async function cutoverOptions(args: ParsedArgs, env: Env = process.env, needGateway = true): Promise<CutoverOptions> {
  const f = args.flags;
  const setup = setupOptions(args, env);
  let synapseExec = parseExecTarget(f['synapse-exec'] ?? 'local', '--synapse-exec');
  let service = f.service ? parseServiceSpec(f.service) : undefined;
  if (f.sandbox) {
    const stateDir = f['state-dir'] ?? defaultStateDir(env);
    const state = await readState(stateDir);
    if (!state) throw new WizardError('BAD_INPUT', `No practice homeserver is set up (no state in ${stateDir}).`, { hint: 'Run synapse-pg sandbox up first (as root on Debian), or pass --state-dir.' });
    const secrets = await readSecrets(stateDir);
    if (!state.postgres || !secrets.postgresPassword) throw new WizardError('BAD_INPUT', 'The practice homeserver has no PostgreSQL cluster to move to.', { hint: 'Run synapse-pg sandbox down, then sandbox up again.' });
    registerSecret(secrets.postgresPassword);
    if (!args.explicit.has('config')) setup.configPaths = [state.configPathHost];
    if (!args.explicit.has('synapse-exec')) synapseExec = { kind: 'chroot', dir: state.chrootDir };
    service ??= { kind: 'synctl' };
    if (!args.explicit.has('pg-admin')) setup.pgAdmin = { kind: 'url', url: `postgresql://postgres:${encodeURIComponent(secrets.postgresPassword)}@127.0.0.1:${state.postgres.port}/postgres` };
    if (!args.explicit.has('db-port')) setup.dbPort = state.postgres.port;
    if (!args.explicit.has('db-host')) setup.dbHost = '127.0.0.1';
  }
  let pathMap = parsePathMap(f['path-map'] ?? []);
  const container = f.sandbox ? undefined : await containerSetup(service, args, setup, needGateway);
  if (container) {
    // the tools run in the container, which sees the host's files through its bind mounts; --synapse-exec/--path-map still win
    if (!args.explicit.has('synapse-exec')) synapseExec = containerExecTarget(container);
    pathMap = [...pathMap, ...container.mounts.filter((m) => !pathMap.some((p) => p.host === m.host)).map(({ host, inside }) => ({ host, inside }))];
  }
  return { setup, engine: portEngine(f.engine), synapseExec, pathMap, service, startTimeoutMs: 180_000, stopTimeoutMs: 120_000, container };
}

/** Lines of --error TEXT and --log FILE. */
async function errorLines(args: ParsedArgs): Promise<string[]> {
  const out: string[] = [];
  const { error, log } = args.flags;
  if (typeof error === 'string') for (const l of error.split(/\r?\n/)) out.push(l);
  if (typeof log === 'string') {
    try {
      // streamed and bounded: a 140,000-line log must not be spread into push() (call stack) nor held whole
      for (const l of (await readLogLines(log)).lines) out.push(l);
    } catch (err) {
      if (err instanceof WizardError) throw err;
      throw new WizardError('BAD_INPUT', `--log ${log}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { hint: 'Pass the Synapse log (homeserver.log) or the port log as it is on disk.' });
    }
  }
  return out.filter((l) => l.trim() !== '');
}

/** doctor's flags: cutover's (setup, tools, service, --sandbox), the error texts to map, and the fixes' own flags. */
export async function doctorOptions(args: ParsedArgs, env: Env = process.env): Promise<DoctorOptions> {
  // cutover's options: the setup flags plus --synapse-exec/--path-map/--service, and --sandbox (the practice homeserver's state)
  const cutover = await cutoverOptions(args, env, false);
  const extra = args.positionals;
  if (extra.length) throw new WizardError('BAD_INPUT', `doctor does not know "${extra[0]}".`, { hint: 'synapse-pg doctor [--allow-unsafe-locale] [--error TEXT] [--log FILE]' });
  const f = args.flags;
  return {
    ...runFlags(args),
    cutover,
    unsafeLocale: !!f['allow-unsafe-locale'],
    errorLines: await errorLines(args),
    serviceGiven: cutover.service !== undefined || f['synapse-exec'] !== undefined,
    caFile: f['ca-file'],
  };
}

/** --before: 2024-01-31, an ISO date and time, milliseconds since the epoch, or NNd (days ago). */
export function parseBefore(value: string, now = Date.now()): number {
  const v = value.trim();
  const days = /^(\d+)d$/.exec(v);
  if (days) return now - Number(days[1]) * 86_400_000;
  if (/^\d{12,}$/.test(v)) return Number(v);
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
  if (Number.isNaN(t)) throw new WizardError('BAD_INPUT', `--before "${value}" is not a date.`, { hint: 'Use 2024-01-31 (UTC midnight), 2024-01-31T12:00:00Z, milliseconds since the epoch, or 90d for 90 days ago.' });
  if (t > now) throw new WizardError('BAD_INPUT', `--before "${value}" is in the future.`, { hint: 'The cut-off must be in the past.' });
  return t;
}

/** maintain's flags (the task is the first positional, report by default). */
export function maintainOptions(args: ParsedArgs): MaintainOptions {
  const f = args.flags;
  const task = args.positionals[0] ?? 'report';
  if (!(MAINTAIN_TASKS as readonly string[]).includes(task)) {
    throw new WizardError('BAD_INPUT', `maintain does not know "${task}".`, { hint: `synapse-pg maintain ${MAINTAIN_TASKS.join('|')} [FLAGS]; see synapse-pg --help.` });
  }
  const top = f.top === undefined ? 15 : Number(f.top);
  if (!Number.isInteger(top) || top < 1) throw new WizardError('BAD_INPUT', `--top "${f.top}" is not a positive number.`, { hint: 'For example --top 20.' });
  return {
    task: task as MaintainTask,
    backupFile: f['backup-file'],
    restoreDb: f['restore-db'],
    full: !!f.full,
    rooms: f.room ?? [],
    allRooms: !!f['all-rooms'],
    beforeTs: f.before === undefined ? undefined : parseBefore(f.before),
    deleteLocalEvents: !!f['delete-local-events'],
    adminTokenFile: f['admin-token-file'],
    synapseUrl: f['synapse-url'],
    top,
    pgAdmin: parsePgAdminSpec(f['pg-admin'] ?? 'local'),
    pgAdminGiven: f['pg-admin'] !== undefined,
  };
}

/** maintain's options with cutover's: --pg-admin (and --sandbox's superuser), where the tools run, how Synapse is stopped and started. */
export async function maintainCommandOptions(args: ParsedArgs, env: Env = process.env): Promise<{ maintain: MaintainOptions; cutover: CutoverOptions }> {
  const maintain = maintainOptions(args);
  const cutover = await cutoverOptions(args, env);
  maintain.pgAdmin = cutover.setup.pgAdmin;
  maintain.pgAdminGiven ||= !!args.flags.sandbox;
  return { maintain, cutover };
}

export interface SandboxOptions {
  action: string;
  stateDir: string;
  chrootDir: string;
}

/** sandbox's action (status by default), its state directory and the Synapse chroot. */
export function sandboxOptions(args: ParsedArgs, env: Env = process.env): SandboxOptions {
  return { action: args.positionals[0] ?? 'status', stateDir: args.flags['state-dir'] ?? defaultStateDir(env), chrootDir: args.flags.chroot ?? env.SYNAPSE_CHROOT ?? DEFAULT_CHROOT };
}
