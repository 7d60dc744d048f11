// The command line: commands, flags and their validation. Every prompt has a flag, so automation never needs a terminal.
import { parseArgs } from 'node:util';
import { WizardError } from '../core/errors.js';
import { formatArgv } from '../core/argv.js';

export const COMMANDS = ['setup', 'cutover', 'doctor', 'maintain', 'status', 'sandbox'] as const;
export type Command = (typeof COMMANDS)[number] | 'menu';

export const OPTIONS = {
  config: { type: 'string', short: 'c', multiple: true },
  yes: { type: 'boolean', short: 'y' },
  json: { type: 'boolean' },
  plain: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  'pg-admin': { type: 'string' },
  'db-user': { type: 'string' },
  'db-name': { type: 'string' },
  'db-host': { type: 'string' },
  'db-port': { type: 'string' },
  'db-password-file': { type: 'string' },
  'db-sslmode': { type: 'string' },
  'db-sslrootcert': { type: 'string' },
  'set-password': { type: 'boolean' },
  'pg-hba': { type: 'string' },
  'write-config': { type: 'boolean' },
  'allow-unsafe-locale': { type: 'boolean' },
  'synapse-exec': { type: 'string' },
  'path-map': { type: 'string', multiple: true },
  service: { type: 'string' },
  engine: { type: 'string' },
  sandbox: { type: 'boolean' },
  'state-dir': { type: 'string' },
  chroot: { type: 'string' },
  error: { type: 'string' },
  log: { type: 'string' },
  'ca-file': { type: 'string' },
  'backup-file': { type: 'string' },
  'restore-db': { type: 'string' },
  full: { type: 'boolean' },
  room: { type: 'string', multiple: true },
  'all-rooms': { type: 'boolean' },
  before: { type: 'string' },
  'delete-local-events': { type: 'boolean' },
  'admin-token-file': { type: 'string' },
  'synapse-url': { type: 'string' },
  top: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

export type Flags = ReturnType<typeof parse>['values'];

function parse(argv: string[]) {
  return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
}

export interface ParsedArgs {
  command: Command;
  positionals: string[];
  flags: Flags;
  /** Flags the admin typed, by long name. */
  explicit: Set<string>;
}

export function parseCommandLine(argv: string[]): ParsedArgs {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    throw flagError(e as Error & { code?: string }, argv);
  }
  const [first, ...rest] = parsed.positionals;
  if (first !== undefined && !(COMMANDS as readonly string[]).includes(first)) {
    throw new WizardError('BAD_INPUT', `Unknown command "${first}".`, { hint: `Commands: ${COMMANDS.join(', ')}. Run synapse-pg --help.` });
  }
  const explicit = new Set(Object.keys(parsed.values));
  return { command: (first as Command | undefined) ?? 'menu', positionals: rest, flags: parsed.values, explicit };
}

/** The flags that say where things are (config, practice homeserver, PostgreSQL, Synapse's tools and service). */
const WHERE_FLAGS = ['config', 'sandbox', 'state-dir', 'chroot', 'pg-admin', 'db-user', 'db-name', 'db-host', 'db-port', 'synapse-exec', 'path-map', 'service'] as const;

/** A command to print for the admin to run next, with the "where" flags of this run, so it runs as printed. */
export function commandLine(args: Pick<ParsedArgs, 'flags'>, ...words: string[]): string {
  const out = ['synapse-pg', ...words];
  for (const name of WHERE_FLAGS) {
    const v = (args.flags as Record<string, string | boolean | string[] | undefined>)[name];
    if (v === true) out.push(`--${name}`);
    else if (typeof v === 'string') out.push(`--${name}`, v);
    else if (Array.isArray(v)) for (const x of v) out.push(`--${name}`, x);
  }
  return formatArgv(out);
}

/** Node's parser error in the wizard's own words, pointing at the command's own help. */
function flagError(e: Error & { code?: string }, argv: string[]): WizardError {
  const command = argv.find((a) => (COMMANDS as readonly string[]).includes(a));
  const help = `Run synapse-pg ${command ? `${command} ` : ''}--help for ${command ? `${command}'s` : 'the'} flags.`;
  const flag = /(--[A-Za-z][\w-]*)/.exec(e.message)?.[1] ?? /'(-[A-Za-z0-9])/.exec(e.message)?.[1] ?? 'a flag';
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new WizardError('BAD_INPUT', `There is no flag ${flag}.`, { hint: help });
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return /does not take an argument/.test(e.message) ? new WizardError('BAD_INPUT', `${flag} takes no value.`, { hint: help }) : new WizardError('BAD_INPUT', `${flag} needs a value.`, { hint: help });
  }
  if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return new WizardError('BAD_INPUT', 'Too many words on the command line.', { hint: help });
  return new WizardError('BAD_INPUT', 'The command line could not be read.', { hint: help });
}

export function portFlag(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
    throw new WizardError('BAD_INPUT', `${flag} "${value}" is not a TCP port.`, { hint: 'Use a number from 1 to 65535, for example 5432.' });
  }
  return Number(value);
}

export const HELP = `synapse-pg: move a Matrix Synapse homeserver onto PostgreSQL, verified at every step.

Usage: synapse-pg [COMMAND] [FLAGS]

Commands:
  (none)      the guided full-screen app (main menu)
  setup       first-time setup: role, database, pg_hba.conf, database: section
  cutover     port SQLite to PostgreSQL with synapse_port_db and switch Synapse over
  doctor      diagnose and fix known failures
  maintain    report|backup|restore|vacuum|purge|rooms|compress: size report, backup and restore,
              vacuum, purge old history, delete rooms without local members, compress state
  status      where things stand: config, database, whether Synapse runs and on which database,
              the cutover's journal checked against the system (--synapse-exec/--path-map map its paths)
  sandbox     up|down|status: a practice homeserver to rehearse on (root, Debian)

Common flags:
  -c, --config PATH        Synapse config file or directory (repeatable, in Synapse's order)
  -y, --yes                apply without asking (needed without a terminal)
      --dry-run            show every command, SQL statement and file diff; change nothing
      --json               one JSON object per line on stdout (implies no prompts: use with --yes or --dry-run)
      --plain              line-by-line prompts instead of the full-screen app
      --sandbox            the practice homeserver from "synapse-pg sandbox up" (every command takes it)
      --state-dir DIR      where the practice homeserver's state is (default /var/lib/synapse-pg/sandbox)
  -h, --help               this help; synapse-pg COMMAND --help: that command's flags, defaults and an example
  -V, --version            print the version

Setup flags:
      --pg-admin SPEC      how to reach PostgreSQL as an admin (a superuser, or CREATEROLE and CREATEDB):
                           local (default; psql as the postgres OS user, PGHOST/PGPORT honoured),
                           url:postgresql://..., docker:CONTAINER
      --db-user NAME       Synapse's role (default synapse_user)
      --db-name NAME       Synapse's database (default synapse)
      --db-host HOST       host Synapse connects to (default localhost)
      --db-port PORT       port Synapse connects to (default 5432, or PGPORT)
      --db-password-file F file holding the role's password (generated into F when F does not exist)
      --db-sslmode MODE    require|verify-ca|verify-full: TLS for Synapse (database.args) and every
                           connection of the wizard
      --db-sslrootcert F   the CA that signed the server's certificate (needed by verify-ca/verify-full)
      --set-password       set the password of an existing role
      --pg-hba edit|skip   edit pg_hba.conf (default) or leave it alone (managed servers)
      --write-config       write the database: section even though the SQLite database holds data

Cutover flags:
      --engine copy|port-db  copy (default): rows loaded with COPY, phase 2 copies only what changed;
                           port-db: synapse_port_db alone (the reference, and the fallback)
      --synapse-exec SPEC  where Synapse's tools run: local (default), docker:CONTAINER, chroot:DIR
      --path-map HOST=IN   host path as seen inside the container (repeatable; implied for chroot:)
      --service SPEC       synctl (default) | systemd[:UNIT] | compose:FILE[:SERVICE] | docker:CONTAINER
      --sandbox            run against the practice homeserver from "synapse-pg sandbox up"

Doctor flags:
      --error "TEXT"       map an error text (from Synapse or synapse_port_db) to its diagnosis
      --log FILE           map every known error in a Synapse or port log to its diagnosis
      --allow-unsafe-locale  fix a wrong COLLATE/CTYPE with allow_unsafe_locale: true
                           instead of recreating the database (the risk is spelled out)
      --ca-file FILE       the CA that signed the OIDC provider's certificate: installed into the
                           trust store where Synapse runs (a compose deployment keeps it with a :ro mount)
  The doctor also takes the setup flags (--pg-admin, --db-*), --service/--synapse-exec to stop and
  start Synapse around fixes that need it stopped (and to ask its tools), and --sandbox. Without
  --error/--log it reads the errors of Synapse's last failed start from its log file. --json prints
  one "finding" event per finding; exit status 1 when a problem is left or Synapse's own connection
  fails, 0 otherwise (advice, such as tuning, may be listed and left).
  Docker compose: with --service compose:FILE[:SERVICE], or a compose file beside the config, it also
  checks that the container's user (991:991, UID/GID, user:) may write the mounted data and config, that
  log_config exists in the container, and that the container trusts each OIDC issuer's certificate.

Maintain flags (synapse-pg maintain TASK; the database comes from the config's database: section):
  report                   database size, largest tables (bar chart), free disk of the data directory
      --top N              how many tables to show (default 15)
  backup                   pg_dump -Fc (data of e2e_one_time_keys_json left out), checked with pg_restore --list
      --backup-file PATH   the archive to write (never overwritten; row counts go to PATH.rows.json);
                           before purge, rooms, compress and vacuum --full it makes a backup first
  restore                  into a NEW database made with setup's rules, proven by row counts
      --backup-file PATH   the archive to read
      --restore-db NAME    the database to create (an existing one is refused); as superuser (--pg-admin)
  vacuum                   VACUUM (ANALYZE), online
      --full               VACUUM FULL: only with Synapse stopped (or --service to stop and start it)
                           and free disk of at least the largest table; reports the space reclaimed
  purge                    delete history through the Admin API (purge_history, status polled)
      --room ID            a room (repeatable), or --all-rooms
      --before DATE        cut-off: 2024-01-31, an ISO time, or 90d (days ago)
      --delete-local-events  also delete events sent by local users (kept by default)
  rooms                    list rooms without local members, delete them (Admin API v2, status polled)
  compress                 run synapse_auto_compressor when installed; says how to install it when not
      --admin-token-file F a server admin's access token (purge, rooms); prompted, hidden, when absent
      --synapse-url URL    Synapse's client listener (default: from the config's listeners)
  maintain also takes --pg-admin (data directory, restore), --service/--synapse-exec (VACUUM FULL
  stops and starts Synapse) and --sandbox (the practice homeserver after its cutover).

Exit status: 0 done and verified, 1 a step failed or was declined, 2 bad usage, 130 interrupted.
`;
