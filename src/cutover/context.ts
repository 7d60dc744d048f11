// What the cutover steps share: the admin's options, the adapters, the journal, and what earlier steps measured.
import { WizardError } from '../core/errors.js';
import { dirname, join } from 'node:path';
import type { Executor, ExecTarget, PathMapEntry } from '../adapters/exec.js';
import type { LoadedConfig } from '../config/load.js';
import type { Prompter } from '../core/prompter.js';
import type { SetupContext, SetupOptions } from '../setup/context.js';
import type { ContainerFacts } from '../synapse/container.js';
import type { ServiceSpec, SynapseService } from '../synapse/service.js';
import type { Journal } from './journal.js';
import type { ToolsInfo } from './tools.js';

/** copy: the wizard's COPY engine (the default); port-db: synapse_port_db alone, the reference and the fallback. */
export type PortEngine = 'copy' | 'port-db';

export interface CutoverOptions {
  setup: SetupOptions;
  engine: PortEngine;
  synapseExec: ExecTarget;
  pathMap: PathMapEntry[];
  /** undefined: synctl when the tools have it (preflight says so otherwise). */
  service?: ServiceSpec;
  /** How long Synapse may take to become healthy on PostgreSQL before the wizard rolls back. */
  startTimeoutMs: number;
  stopTimeoutMs: number;
  /** --service compose:/docker: as the engine resolves it; the tools, path map, PostgreSQL address and /health URL come from it. */
  container?: ContainerFacts;
}

export interface CutoverPaths {
  configDir: string;
  /** The file Synapse is started with (-c), which the swap renames. */
  mainConfig: string;
  workDir: string;
  journal: string;
  postgresConfig: string;
  oldSqliteConfig: string;
  snapshotDir: string;
  phase1Snapshot: string;
  finalSnapshot: string;
  /** A whole config whose database is the snapshot, for update_synapse_database. */
  snapshotConfig: string;
  portLog: (phase: 'phase1' | 'final') => string;
  portPid: string;
}

export interface CutoverContext {
  opts: CutoverOptions;
  prompter: Prompter;
  setup: SetupContext;
  exec: Executor;
  config: LoadedConfig;
  /** The live SQLite file (host path); undefined when the config is not on SQLite. */
  sqlitePath?: string;
  paths: CutoverPaths;
  journal: Journal;
  /** True when this run found a journal left by an earlier one. */
  resumed: boolean;
  tools?: ToolsInfo;
  service?: SynapseService;
  /** The client listener, from the config: http://host:port */
  baseUrl?: string;
  /** Data a step wants kept in the journal with its entry (set by apply, saved after verify). */
  stepData: Record<string, unknown>;
  saveJournal(): Promise<void>;
}

export function cutoverPaths(config: LoadedConfig, sqlitePath: string | undefined): CutoverPaths {
  const mainConfig = config.files[0]!.path;
  const configDir = dirname(mainConfig);
  const workDir = join(configDir, '.synapse-pg');
  const snapshotDir = join(dirname(sqlitePath ?? join(configDir, 'homeserver.db')), 'synapse-pg-snapshot');
  return {
    configDir,
    mainConfig,
    workDir,
    journal: join(workDir, 'cutover.json'),
    postgresConfig: join(configDir, 'homeserver-postgres.yaml'),
    oldSqliteConfig: join(configDir, 'homeserver-old-sqlite.yaml'),
    snapshotDir,
    phase1Snapshot: join(snapshotDir, 'phase1.db'),
    finalSnapshot: join(snapshotDir, 'final.db'),
    snapshotConfig: join(snapshotDir, 'homeserver-snapshot.yaml'),
    portLog: (phase) => join(workDir, `port-${phase}.log`),
    portPid: join(workDir, 'port.pid'),
  };
}

export function recorded(ctx: CutoverContext, id: string): boolean {
  return !!ctx.journal.steps[id];
}

export function recordedData<T>(ctx: CutoverContext, id: string): T | undefined {
  return ctx.journal.steps[id]?.data as T | undefined;
}

export function requireSqlite(ctx: CutoverContext): string {
  if (!ctx.sqlitePath) throw new WizardError('INTERNAL', 'internal: no SQLite file (preflight stops first)');
  return ctx.sqlitePath;
}
