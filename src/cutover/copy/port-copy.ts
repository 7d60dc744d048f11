// The copy engine's body of both port steps: background updates on the snapshot, the schema, the installed script's own
// preparation (port_from_sqlite3, sequences) through the driver, then COPY of what changed. Same result shape as synapse_port_db's.
import type { StepContext } from '../../core/step.js';
import { synapseDbArgs } from '../../setup/context.js';
import type { CutoverContext } from '../context.js';
import { prepareSnapshot, type PortData } from '../port-data.js';
import { runDriver } from './driver.js';
import { runCopyEngine } from './engine.js';
import { nodePgSsl } from '../../adapters/pg-tls.js';

export async function copySnapshot(ctx: CutoverContext, sc: StepContext, snapshot: string, phase: 'phase1' | 'final'): Promise<PortData> {
  const t0 = Date.now();
  await prepareSnapshot(ctx, sc, snapshot, phase);
  const states: [string, number][] = [];
  const driverStart = Date.now();
  let loadMs: number | undefined;
  const driver = await runDriver({
    exec: ctx.exec,
    python: ctx.tools?.python ?? 'python3',
    mode: 'prepare',
    sqlite: snapshot,
    postgresConfig: ctx.paths.postgresConfig,
    logFile: ctx.paths.portLog(phase),
    signal: sc.signal,
    onState: (s) => {
      states.push([s, Date.now() - t0]);
      if (s === 'Preparing sqlite3') loadMs ??= Date.now() - driverStart;
      if (s !== 'Copying to postgres') sc.log(`synapse_port_db (rows left to the copy engine): ${s}...`);
    },
  });
  sc.log(`synapse_port_db ${driver.rules.synapseVersion} prepared PostgreSQL (schema, port_from_sqlite3, sequences) in ${(driver.ms / 1000).toFixed(1)} s; its rules: ${driver.rules.appendOnly.length} append-only tables, ${Object.keys(driver.rules.booleanColumns).length} tables with boolean columns, ${driver.rules.ignored.length} tables not ported; ${driver.tables.length} tables to port.`);
  const setupMs = Date.now() - t0;
  const a = synapseDbArgs(ctx.setup);
  ctx.journal.copyDigests ??= {};
  const digests = ctx.journal.copyDigests;
  states.push(['Copying to postgres', Date.now() - t0]);
  const r = await runCopyEngine({
    sqlite: snapshot,
    pg: { host: a.host, port: a.port, user: a.user, password: a.password, database: a.dbname, ssl: nodePgSsl(a, a.host) },
    rules: driver.rules,
    tables: driver.tables,
    digests,
    onCommitted: () => ctx.saveJournal(),
    signal: sc.signal,
    onProgress: (label, done, total, detail) => sc.progress(label, done, total, detail),
    log: (m, level) => sc.log(m, level),
  });
  const nDropped = Object.values(r.dropped).reduce((x, y) => x + y, 0);
  if (nDropped) sc.log(`The copy engine dropped ${nDropped} row(s) that PostgreSQL cannot store (NUL bytes): ${Object.entries(r.dropped).map(([k, n]) => `${k} ${n}`).join(', ')} (synapse_port_db drops the same rows).`, 'warn');
  const actions = Object.values(r.tables);
  const count = (a: string) => actions.filter((x) => x.action === a).length;
  const slow = Object.entries(r.tables).filter(([, x]) => x.copied > 0).sort((x, y) => y[1].ms - x[1].ms).slice(0, 5).map(([k, x]) => `${k} ${x.copied} rows in ${(x.ms / 1000).toFixed(1)} s`);
  sc.log(`Copy engine took ${((Date.now() - t0) / 1000).toFixed(1)} s (setup ${(setupMs / 1000).toFixed(1)} s, copying ${(r.ms / 1000).toFixed(1)} s, ${r.rowsCopied} rows copied) at ${Math.round(r.rate)} rows/s; ${count('replaced')} tables replaced, ${count('appended')} appended to, ${count('unchanged')} unchanged since the last copy (compared in ${(r.hashMs / 1000).toFixed(1)} s)${slow.length ? `; slowest: ${slow.join(', ')}` : ''}.`);
  if (phase === 'phase1') sc.log(`Phase 1 (background updates, schema, copy) took ${((Date.now() - t0) / 1000).toFixed(1)} s while Synapse kept serving.`);
  const tables: PortData['tables'] = {};
  for (const [k, x] of Object.entries(r.tables)) tables[k] = [x.rows, x.copied, x.ms];
  await ctx.saveJournal();
  return { engine: 'copy', ms: Date.now() - t0, setupMs, copyMs: r.ms, rowsCopied: r.rowsCopied, tables, dropped: r.dropped, states, logFile: ctx.paths.portLog(phase), driverMs: driver.ms, loadMs, hashMs: r.hashMs, rate: r.rate, rules: driver.rules, portTables: driver.tables };
}
