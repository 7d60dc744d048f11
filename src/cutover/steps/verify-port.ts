// Phase 2: proves the port before Synapse is pointed at it: row counts, sequences, stream_positions.
import { exists } from '../../adapters/files.js';
import type { Step } from '../../core/step.js';
import { requireAdmin } from '../../setup/context.js';
import { recordedData, type CutoverContext } from '../context.js';
import type { PortData } from '../port-data.js';
import { checkPort, type PortCheck } from '../port-check.js';

const lastCheck = new WeakMap<CutoverContext, PortCheck>();

async function run(ctx: CutoverContext): Promise<PortCheck> {
  const dropped: Record<string, number> = {};
  for (const id of ['port-snapshot', 'port-final']) {
    const d = (ctx.stepData[id] as PortData | undefined) ?? recordedData<PortData>(ctx, id);
    for (const [t, n] of Object.entries(d?.dropped ?? {})) dropped[t] = (dropped[t] ?? 0) + n;
  }
  const c = await checkPort(requireAdmin(ctx.setup), ctx.opts.setup.dbName, ctx.paths.finalSnapshot, dropped);
  ctx.stepData['verify-port'] = { tables: c.tablesCompared, rowsSqlite: c.rowsSqlite, rowsPostgres: c.rowsPostgres, notes: c.notes };
  lastCheck.set(ctx, c);
  return c;
}

export const verifyPort: Step<CutoverContext> = {
  id: 'verify-port',
  title: 'Verify the port',
  why: 'Synapse is only pointed at PostgreSQL once every table holds what SQLite holds and the sequences cannot hand out ids twice.',
  async check(ctx, sc) {
    if (sc.dryRun && !(await exists(ctx.paths.finalSnapshot))) {
      return { status: 'needed', message: 'After the final port: compare every table on both sides.', plan: [{ kind: 'note', text: 'count the rows of every ported table in the final snapshot and in PostgreSQL; check sequences against table maxima and stream_positions' }] };
    }
    const c = await run(ctx);
    for (const n of c.notes) sc.log(`Allowed difference: ${n}`);
    const bad = [...c.mismatches, ...c.sequenceProblems];
    if (bad.length) {
      return { status: 'blocked', code: 'UNVERIFIED', message: `The port does not match the SQLite file: ${bad.slice(0, 10).join('; ')}${bad.length > 10 ? ` (and ${bad.length - 10} more)` : ''}.`, hint: `Synapse is still stopped and its config unchanged. Run cutover again to port once more (it resumes), or start Synapse on SQLite (synctl start) and investigate with the port log in ${ctx.paths.workDir}.` };
    }
    const summary = `${c.tablesCompared} tables compared: ${c.rowsPostgres} rows in PostgreSQL for ${c.rowsSqlite} in SQLite, every count equal${c.notes.length ? ` except ${c.notes.length} documented difference(s)` : ''}; sequences at or above their tables' maxima.`;
    if (c.streamFixes.length) {
      for (const f of c.streamFixes) sc.log(f.problem, 'warn');
      const plan = c.streamFixes.map((f) => ({ kind: 'sql' as const, sql: f.sql.length > 400 ? `${f.sql.slice(0, 400)} ...` : f.sql, database: ctx.opts.setup.dbName, note: f.problem }));
      return { status: 'needed', message: `${summary} ${c.streamFixes.length} fix(es) needed with Synapse stopped: ${c.streamFixes.map((f) => f.problem).join('; ')}.`, plan };
    }
    return { status: 'done', message: summary };
  },
  async apply(ctx) {
    const c = await run(ctx);
    for (const f of c.streamFixes) await requireAdmin(ctx.setup).exec(f.sql, ctx.opts.setup.dbName);
    return `Applied ${c.streamFixes.length} fix(es): ${c.streamFixes.map((f) => f.problem).join('; ')}.`;
  },
  async verify(ctx) {
    // Counting every table is the slow part of the downtime: reuse the check's counts unless apply changed sequences.
    const cached = lastCheck.get(ctx);
    const c = cached && cached.streamFixes.length === 0 ? cached : await run(ctx);
    const bad = [...c.mismatches, ...c.sequenceProblems, ...c.streamFixes.map((f) => f.problem)];
    return bad.length ? { ok: false, message: bad.join('; ') } : { ok: true, message: `${c.tablesCompared} tables, ${c.rowsPostgres} rows.` };
  },
};
