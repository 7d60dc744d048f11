// Restore: pg_restore into the fresh database as Synapse's role, proven by the exact row counts saved with the backup.
import type { Step } from '../../core/step.js';
import { quoteIdent } from '../../pg/identifiers.js';
import { readManifest } from '../backup-run.js';
import { report, type MaintainContext } from '../context.js';
import { pgRestoreArgv, runPgTool } from '../pg-tools.js';
import { countDifferences, rowCounts, type RowCounts } from '../row-counts.js';

/** The restore is proven: the database no longer carries the mark that lets a rerun drop it. */
async function clearMark(ctx: MaintainContext): Promise<void> {
  await ctx.admin!.exec(`COMMENT ON DATABASE ${quoteIdent(ctx.found.restoreDb as string)} IS NULL`);
}

async function restoredCounts(ctx: MaintainContext): Promise<RowCounts> {
  return ctx.db.withClient((c) => rowCounts(c), ctx.found.restoreDb as string);
}

export const restore: Step<MaintainContext> = {
  id: 'restore',
  title: 'Restore the backup (pg_restore)',
  why: 'Brings the backup back as a database of its own, which you can inspect, or point Synapse at.',
  async check(ctx, sc) {
    const name = ctx.found.restoreDb as string;
    const file = ctx.found.backupFile as string;
    const plan = [{ kind: 'command' as const, argv: pgRestoreArgv(ctx.db.args, name, file), note: 'as Synapse\'s role, password in PGPASSWORD' }];
    if (sc.dryRun) return { status: 'needed', message: `${file} would be restored into ${name}.`, plan };
    if (ctx.found.restartRestore) return { status: 'needed', message: `${file} will be restored again into ${name}, made anew.`, plan };
    const [r] = await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`, [], name);
    if (r!.n > 0) return { status: 'blocked', message: `Database ${name} already holds ${r!.n} tables.`, hint: `Restore into a new database (--restore-db), or drop ${name} if an earlier restore stopped half way.` };
    return { status: 'needed', message: `${file} will be restored into ${name}.`, plan };
  },
  async apply(ctx, sc) {
    const name = ctx.found.restoreDb as string;
    sc.log(`pg_restore is reading ${ctx.found.backupFile as string} ...`);
    await runPgTool(pgRestoreArgv(ctx.db.args, name, ctx.found.backupFile as string), ctx.db.args, sc.signal);
    return `Restored into ${name}.`;
  },
  async verify(ctx) {
    const manifest = await readManifest(ctx.found.backupFile as string);
    const counts = await restoredCounts(ctx);
    const rows = Object.values(counts).reduce((a, b) => a + b, 0);
    const figures = [
      { label: 'tables restored', value: Object.keys(counts).length, unit: 'count' as const },
      { label: 'rows restored', value: rows, unit: 'count' as const },
    ];
    if (!manifest) {
      report(ctx, 'restore', `Restored into ${ctx.found.restoreDb as string}`, 'count', [], [...figures, { label: 'row counts of the backup', value: 'unknown (no .rows.json beside the file)' }]);
      if (Object.keys(counts).length > 0) await clearMark(ctx);
      return { ok: Object.keys(counts).length > 0, message: `${Object.keys(counts).length} tables with ${rows} rows; no row counts were saved with this backup, so they could not be compared.` };
    }
    const diff = countDifferences(manifest.rows, counts);
    report(ctx, 'restore', `Restored into ${ctx.found.restoreDb as string}`, 'count', [], [...figures, { label: 'tables whose counts differ', value: diff.length, unit: 'count' }]);
    if (diff.length) return { ok: false, message: `row counts differ from the backup: ${diff.slice(0, 5).join('; ')}`, hint: 'Read pg_restore\'s messages above; restore again into a new database.' };
    await clearMark(ctx);
    return { ok: true, message: `all ${Object.keys(counts).length} tables hold exactly the rows counted when the backup was made (${rows} rows).` };
  },
};
