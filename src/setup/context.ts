// What the setup steps share: the admin's options, the adapters, and what earlier steps found out.
import { createPgAdmin, type PgAdmin, type PgAdminSpec } from '../adapters/pg-admin.js';
import type { PathMapEntry } from '../adapters/exec.js';
import type { SynapseDbArgs } from '../adapters/pg-login.js';
import type { ExecTarget } from '../adapters/exec.js';
import type { PgTls } from '../adapters/pg-tls.js';
import type { LoadedConfig } from '../config/load.js';
import type { Prompter } from '../core/prompter.js';
import type { HbaState } from './steps/pg-hba.js';
import { WizardError } from '../core/errors.js';

export interface SetupOptions {
  configPaths?: string[];
  pgAdmin: PgAdminSpec;
  dbUser: string;
  dbName: string;
  dbHost: string;
  dbPort: number;
  dbPasswordFile?: string;
  /** --db-sslmode/--db-sslrootcert: written into database.args and used by every connection the wizard makes. */
  dbTls?: PgTls;
  setPassword: boolean;
  pgHba: 'edit' | 'skip';
  writeConfig: boolean;
  cwd: string;
  home: string;
  /** Where Synapse's connections come from when it runs in a container (its bridge networks), for pg_hba.conf. */
  clientNetworks?: string[];
  /** Host-to-container paths when Synapse runs in a container: its config names files as the container sees them. */
  pathMap?: PathMapEntry[];
  /** Flags the admin typed (the others are defaults and may be taken from an existing config). */
  explicit: Set<string>;
  /** --synapse-exec: where Synapse's Python (psycopg2) runs, for the final login proof; absent: this host's python3, else node-postgres. */
  synapseExec?: ExecTarget;
}

export interface ServerInfo {
  versionNum: number;
  version: string;
  passwordEncryption: string;
  /** Readable by superusers only: undefined for a CREATEROLE/CREATEDB admin (a managed service). */
  hbaFile?: string;
  ssl: boolean;
  dataDirectory?: string;
  /** The admin connection is a superuser; otherwise it has CREATEROLE and CREATEDB (the pg-admin step checks). */
  superuser: boolean;
  /** The admin's role name (current_user). */
  adminRole: string;
  /** The address the server sees this host connect from (inet_client_addr() of the admin connection); undefined over a Unix socket. */
  clientAddr?: string;
}

export interface SetupContext {
  opts: SetupOptions;
  prompter: Prompter;
  createAdmin: (spec: PgAdminSpec) => PgAdmin;
  admin?: PgAdmin;
  server?: ServerInfo;
  /** null: no Synapse config was found (the config step then writes a block for the admin to paste). */
  config?: LoadedConfig | null;
  password?: string;
  passwordSource?: 'file' | 'prompt' | 'generated' | 'config';
  /** Where a generated password was saved (mode 0600). */
  passwordFile?: string;
  /** The pg_hba.conf edit planned by check and carried out by apply. */
  hbaPending?: HbaState;
  /** What this run created, so a run that fails later can undo it (src/setup/undo.ts). */
  created?: { role?: string; database?: string; passwordFile?: string; hbaEdited?: string; configWritten?: string };
}

/** A fresh setup context on the real PostgreSQL adapters. */
export function newSetupContext(opts: SetupOptions, prompter: Prompter): SetupContext {
  return { opts, prompter, createAdmin: (spec) => createPgAdmin(spec) };
}

export function synapseDbArgs(ctx: SetupContext): SynapseDbArgs {
  if (ctx.password === undefined) throw new WizardError('INTERNAL', 'password not resolved before it is needed');
  return { host: ctx.opts.dbHost, port: ctx.opts.dbPort, user: ctx.opts.dbUser, password: ctx.password, dbname: ctx.opts.dbName, ...ctx.opts.dbTls };
}

export function requireAdmin(ctx: SetupContext): PgAdmin {
  if (!ctx.admin) throw new WizardError('INTERNAL', 'the PostgreSQL admin connection is made by the pg-admin step');
  return ctx.admin;
}
