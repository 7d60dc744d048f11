// The port-db engine: synapse_port_db itself on a snapshot, its progress and timings kept, the rows it dropped reported.
import type { StepContext } from '../core/step.js';
import type { CutoverContext } from './context.js';
import { prepareSnapshot, type PortData } from './port-data.js';
import { droppedByTable, tableTimings } from './port-output.js';
import { runPort } from './port-run.js';

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
