// What both engines share: the journal record of a port, the work before it, and the proof that a port took place.
import { WizardError } from '../core/errors.js';
import type { StepContext } from '../core/step.js';
import { requireAdmin } from '../setup/context.js';
import type { CutoverContext } from './context.js';
import type { PortRules } from './copy/driver.js';
import { finishBackgroundUpdates, preparePostgres } from './background-updates.js';
import { stopLeftoverTools } from './port-run.js';

export interface PortData {
  /** Which engine made this port (absent: synapse_port_db, as journals before the copy engine). */
  engine?: 'copy' | 'port-db';
  ms: number;
  setupMs?: number;
  copyMs?: number;
  rowsCopied: number;
  /** table -> [total rows, rows copied, ms] */
  tables: Record<string, [number, number, number]>;
  dropped: Record<string, number>;
  /** State lines with ms since the start: [state, ms]. */
  states: [string, number][];
  logFile: string;
  /** Copy engine: the driver's run (synapse_port_db's own preparation), the comparison of tables, rows per second. */
  driverMs?: number;
  loadMs?: number;
  hashMs?: number;
  rate?: number;
  /** Copy engine: the installed script's rules and the tables it ports, for the estimate before the stop. */
  rules?: PortRules;
  portTables?: string[];
}

/** What both engines do first: end a tool an interrupted run left behind, finish background updates, build the schema (phase 1). */
export async function prepareSnapshot(ctx: CutoverContext, sc: StepContext, snapshot: string, phase: 'phase1' | 'final'): Promise<void> {
  const t = ctx.exec.target;
  const root = t.kind === 'chroot' ? t.dir : t.kind === 'local' || t.kind === 'user' ? '/' : undefined;
  await stopLeftoverTools([snapshot, ctx.paths.snapshotConfig, ctx.paths.postgresConfig].map((p) => ctx.exec.toInside(p)), root, (m) => sc.log(m, 'warn'));
  await finishBackgroundUpdates(ctx, snapshot, sc);
  if (phase === 'phase1') await preparePostgres(ctx, sc);
}

/** A port left port_from_sqlite3 behind in the target database. */
export async function verifyPorted(ctx: CutoverContext): Promise<{ ok: boolean; message: string }> {
  const rows = await requireAdmin(ctx.setup).query<{ n: number }>(`SELECT count(*)::int AS n FROM port_from_sqlite3`, ctx.opts.setup.dbName).catch((e) => {
    throw new WizardError('PG_QUERY', `port_from_sqlite3 cannot be read: ${(e as Error).message}`);
  });
  const n = rows[0]?.n ?? 0;
  return n > 0 ? { ok: true, message: `port_from_sqlite3 tracks ${n} tables in ${ctx.opts.setup.dbName}.` } : { ok: false, message: 'port_from_sqlite3 is empty.' };
}
