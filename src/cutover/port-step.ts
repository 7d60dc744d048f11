// The shared body of both port steps: finish background updates on the snapshot, run synapse_port_db, report what it dropped.
import { WizardError } from '../core/errors.js';
import type { StepContext } from '../core/step.js';
import { requireAdmin } from '../setup/context.js';
import type { CutoverContext } from './context.js';
import type { PortRules } from './copy/driver.js';
import { finishBackgroundUpdates, preparePostgres } from './background-updates.js';
import { droppedByTable, tableTimings } from './port-output.js';
import { runPort, stopLeftoverTools } from './port-run.js';

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

export async function portSnapshot(ctx: CutoverContext, sc: StepContext, snapshot: string, phase: 'phase1' | 'final'): Promise<PortData> {
  const t0 = Date.now();
  await prepareSnapshot(ctx, sc, snapshot, phase);
  let lastState = '';
  // synapse_port_db empties and copies again the tables the copy engine compared by digest: those records no longer hold.
  if (ctx.journal.copyDigests) {
    delete ctx.journal.copyDigests;
    await ctx.saveJournal();
  }
  const r = await runPort({
    exec: ctx.exec,
    sqlite: snapshot,
    postgresConfig: ctx.paths.postgresConfig,
    logFile: ctx.paths.portLog(phase),
    signal: sc.signal,
    onProgress: (table, done, total) => sc.progress(table, done, total),
    onState: (s) => {
      if (s !== lastState) sc.log(`synapse_port_db: ${s}...`);
      lastState = s;
    },
    onWarn: (line) => sc.log(line, 'warn'),
  });
  const dropped = droppedByTable(r);
  const nDropped = Object.values(dropped).reduce((a, b) => a + b, 0);
  if (nDropped) sc.log(`synapse_port_db dropped ${nDropped} row(s) that PostgreSQL cannot store (NUL bytes): ${Object.entries(dropped).map(([t, n]) => `${t} ${n}`).join(', ')}. Full log: ${r.logFile}`, 'warn');
  const slow = tableTimings(r).slice(0, 5).map((t) => `${t.table} ${t.rows} rows in ${(t.ms / 1000).toFixed(1)} s`);
  sc.log(`synapse_port_db took ${(r.ms / 1000).toFixed(1)} s (setup ${((r.setupMs ?? 0) / 1000).toFixed(1)} s, copying ${((r.copyMs ?? 0) / 1000).toFixed(1)} s, ${r.rowsCopied} rows copied)${slow.length ? `; slowest tables: ${slow.join(', ')}` : ''}. Log: ${r.logFile}`);
  if (phase === 'phase1') sc.log(`Phase 1 (background updates, schema, port) took ${((Date.now() - t0) / 1000).toFixed(1)} s while Synapse kept serving.`);
  const tables: PortData['tables'] = {};
  for (const t of Object.values(r.tables)) tables[t.table] = [t.total, t.copied, Math.max(0, (t.lastAt ?? 0) - (t.firstAt ?? 0))];
  return { engine: 'port-db', ms: r.ms, setupMs: r.setupMs, copyMs: r.copyMs, rowsCopied: r.rowsCopied, tables, dropped, states: r.states.map((x) => [x.state, x.atMs]), logFile: r.logFile };
}

/** A port left port_from_sqlite3 behind in the target database. */
export async function verifyPorted(ctx: CutoverContext): Promise<{ ok: boolean; message: string }> {
  const rows = await requireAdmin(ctx.setup).query<{ n: number }>(`SELECT count(*)::int AS n FROM port_from_sqlite3`, ctx.opts.setup.dbName).catch((e) => {
    throw new WizardError('PG_QUERY', `port_from_sqlite3 cannot be read: ${(e as Error).message}`);
  });
  const n = rows[0]?.n ?? 0;
  return n > 0 ? { ok: true, message: `port_from_sqlite3 tracks ${n} tables in ${ctx.opts.setup.dbName}.` } : { ok: false, message: 'port_from_sqlite3 is empty.' };
}
