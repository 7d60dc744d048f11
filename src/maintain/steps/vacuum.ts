// VACUUM (ANALYZE): online, marks dead rows' space for reuse and refreshes the planner's statistics.
import type { Step } from '../../core/step.js';
import { report, type MaintainContext } from '../context.js';
import { databaseBytes, formatBytes } from '../sizes.js';

async function deadRows(ctx: MaintainContext): Promise<number> {
  const [r] = await ctx.db.query<{ n: string }>(`SELECT coalesce(sum(n_dead_tup), 0)::text AS n FROM pg_stat_user_tables`);
  return Number(r!.n);
}

export const vacuumAnalyze: Step<MaintainContext> = {
  id: 'vacuum',
  title: 'VACUUM (ANALYZE)',
  why: 'Lets PostgreSQL reuse the space of deleted rows and gives the planner fresh statistics, while Synapse keeps running.',
  async check(ctx) {
    const before = { bytes: await databaseBytes(ctx.db), dead: await deadRows(ctx) };
    ctx.found.vacuumBefore = before;
    return { status: 'needed', message: `${before.dead} dead rows counted by the statistics; the database takes ${formatBytes(before.bytes)}.`, plan: [{ kind: 'sql', sql: 'VACUUM (ANALYZE);', database: ctx.db.args.dbname, note: `as ${ctx.db.args.user}, online` }] };
  },
  async apply(ctx) {
    ctx.found.vacuumStarted = new Date();
    await ctx.db.withClient((c) => c.query('VACUUM (ANALYZE)'));
    return 'VACUUM (ANALYZE) finished.';
  },
  async verify(ctx) {
    const before = ctx.found.vacuumBefore as { bytes: number; dead: number };
    const [r] = await ctx.db.query<{ done: number; total: number }>(
      `SELECT count(*) FILTER (WHERE last_vacuum >= $1 AND last_analyze >= $1)::int AS done, count(*)::int AS total FROM pg_stat_user_tables`,
      [ctx.found.vacuumStarted],
    );
    const after = { bytes: await databaseBytes(ctx.db), dead: await deadRows(ctx) };
    report(ctx, 'vacuum', 'VACUUM (ANALYZE): before and after', 'count', [
      { label: 'dead rows before', value: before.dead },
      { label: 'dead rows after', value: after.dead },
    ], [
      { label: 'database before', value: before.bytes, unit: 'bytes' },
      { label: 'database after', value: after.bytes, unit: 'bytes' },
      { label: 'tables vacuumed and analysed', value: r!.done, unit: 'count' },
    ]);
    if (r!.done === 0) return { ok: false, message: 'pg_stat_user_tables shows no table vacuumed just now.' };
    return { ok: true, message: `${r!.done} of ${r!.total} tables vacuumed and analysed; dead rows ${before.dead} -> ${after.dead}; the database takes ${formatBytes(after.bytes)} (VACUUM keeps the space for reuse; VACUUM FULL gives it back).` };
  },
};
