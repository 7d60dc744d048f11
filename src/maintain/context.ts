// What the maintenance steps share: the admin's choices, Synapse's database connection, the Admin API, and what earlier steps found.
import type { Executor } from '../adapters/exec.js';
import type { PgAdmin, PgAdminSpec } from '../adapters/pg-admin.js';
import type { LoadedConfig } from '../config/load.js';
import type { EventSink, ReportBar, ReportFigure } from '../core/events.js';
import type { Prompter } from '../core/prompter.js';
import type { SynapseService } from '../synapse/service.js';
import type { AdminApi } from './admin-api.js';
import type { SynapseDb } from './db.js';
import { WizardError } from '../core/errors.js';

export const MAINTAIN_TASKS = ['report', 'backup', 'restore', 'vacuum', 'purge', 'rooms', 'compress'] as const;
export type MaintainTask = (typeof MAINTAIN_TASKS)[number];

export interface MaintainOptions {
  task: MaintainTask;
  /** --backup-file: where backup writes (and restore reads) the pg_dump -Fc archive. */
  backupFile?: string;
  /** --restore-db: the new database restore creates. */
  restoreDb?: string;
  /** --full: VACUUM FULL (Synapse stopped) instead of VACUUM (ANALYZE). */
  full: boolean;
  /** --room (repeatable) or --all-rooms, for purge. */
  rooms: string[];
  allRooms: boolean;
  /** --before: purge events older than this, in ms since the epoch. */
  beforeTs?: number;
  deleteLocalEvents: boolean;
  adminTokenFile?: string;
  synapseUrl?: string;
  /** How many tables the size report shows. */
  top: number;
  pgAdmin: PgAdminSpec;
  /** --pg-admin was given: a superuser connection is expected to work. */
  pgAdminGiven: boolean;
}

export interface MaintainContext {
  opts: MaintainOptions;
  prompter: Prompter;
  emit: EventSink;
  config: LoadedConfig;
  configPath: string;
  db: SynapseDb;
  /** Where Synapse's client listener answers (the Admin API lives there). */
  baseUrl: string;
  exec: Executor;
  service?: SynapseService;
  createAdmin: (spec: PgAdminSpec) => PgAdmin;
  admin?: PgAdmin;
  api?: AdminApi;
  /** Figures a step found in check and reports after apply. */
  found: Record<string, unknown>;
}

export function report(ctx: MaintainContext, id: string, title: string, unit: 'bytes' | 'count', bars: ReportBar[], figures: ReportFigure[]): void {
  ctx.emit({ event: 'report', id, title, unit, bars, figures });
}

export function requireApi(ctx: MaintainContext): AdminApi {
  if (!ctx.api) throw new WizardError('INTERNAL', 'the Admin API is reached by the admin-token step');
  return ctx.api;
}

/** The superuser connection, made once; undefined when it cannot be made (and the caller can do without). */
export async function tryAdmin(ctx: MaintainContext): Promise<PgAdmin | undefined> {
  if (ctx.admin) return ctx.admin;
  const admin = ctx.createAdmin(ctx.opts.pgAdmin);
  try {
    await admin.query('SELECT 1 AS ok');
  } catch {
    return undefined;
  }
  ctx.admin = admin;
  return admin;
}
