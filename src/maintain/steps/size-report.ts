// The size report: the database, its largest tables as a bar chart, and the free disk under PostgreSQL's data directory.
import type { Step } from '../../core/step.js';
import type { ReportFigure } from '../../core/events.js';
import { report, tryAdmin, type MaintainContext } from '../context.js';
import { formatBytes, sizeFacts, type SizeFacts } from '../sizes.js';

export const sizeReport: Step<MaintainContext> = {
  id: 'size-report',
  title: 'Size report',
  why: 'Shows where the space goes before you choose what to clean up.',
  async check(ctx) {
    const facts = await sizeFacts(ctx.db, ctx.opts.pgAdminGiven ? await tryAdmin(ctx) : undefined);
    ctx.found.sizes = facts;
    const top = facts.tables.slice(0, ctx.opts.top);
    const figures: ReportFigure[] = [
      { label: 'database', value: facts.databaseBytes, unit: 'bytes' },
      { label: 'tables', value: facts.tables.length, unit: 'count' },
      { label: `largest ${top.length} tables together`, value: top.reduce((a, t) => a + t.bytes, 0), unit: 'bytes' },
      facts.freeBytes !== undefined
        ? { label: `free disk at ${facts.dataDirectory}`, value: facts.freeBytes, unit: 'bytes' }
        : { label: 'free disk', value: `unknown: ${facts.freeUnknown}` },
    ];
    report(ctx, 'size-report', `Database ${ctx.db.args.dbname}: largest tables (pg_total_relation_size)`, 'bytes', top.map((t) => ({ label: t.table, value: t.bytes })), figures);
    const biggest = facts.tables[0];
    return { status: 'done', message: `Database ${ctx.db.args.dbname} takes ${formatBytes(facts.databaseBytes)}${biggest ? `; the largest table is ${biggest.table} (${formatBytes(biggest.bytes)})` : ''}.` };
  },
  async apply() {
    return 'Nothing to apply.';
  },
  async verify(ctx) {
    const facts = ctx.found.sizes as SizeFacts | undefined;
    if (!facts || facts.databaseBytes <= 0) return { ok: false, message: 'no size was read.' };
    return { ok: true, message: `${facts.tables.length} tables measured.` };
  },
};
