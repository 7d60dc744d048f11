// VACUUM FULL: rewrites every table and gives the space back to the file system; only with Synapse stopped and room for the largest table's copy.
import { dirname, join } from 'node:path';
import { ensureDir, readTextOrUndefined, removeFile, writeFileAtomic } from '../../adapters/files.js';
import type { Step } from '../../core/step.js';
import { health } from '../../synapse/client.js';
import { report, tryAdmin, type MaintainContext } from '../context.js';
import { databaseBytes, formatBytes, freeSpace, tableSizes } from '../sizes.js';

interface Found {
  before: number;
  stopped: boolean;
}

/**
 * Written before the wizard stops Synapse and removed once it has started it again: a run killed in between leaves it, and the
 * next run knows that Synapse is down because of the wizard, and starts it again.
 */
function stoppedMarker(ctx: MaintainContext): string {
  return join(dirname(ctx.configPath), '.synapse-pg', 'maintain-stopped-synapse.json');
}

export const vacuumFull: Step<MaintainContext> = {
  id: 'vacuum-full',
  title: 'VACUUM FULL (Synapse stopped)',
  why: 'VACUUM FULL locks each table while it writes a compact copy: Synapse must not run, and the disk must hold the copy of the largest table.',
  async check(ctx) {
    const running = await health(ctx.baseUrl);
    const earlier = running ? undefined : await readTextOrUndefined(stoppedMarker(ctx));
    if (earlier && !ctx.service) {
      return { status: 'blocked', message: `An earlier VACUUM FULL stopped Synapse and was interrupted before it started it again (${stoppedMarker(ctx)}); Synapse is still down.`, hint: 'Run it again with the same --service so the wizard finishes and starts Synapse, or start Synapse by hand and remove that file.' };
    }
    if (running && !ctx.service) {
      return { status: 'blocked', message: `Synapse is running (${ctx.baseUrl}/health answers OK); VACUUM FULL would lock its tables for the whole run.`, hint: 'Stop Synapse first (e.g. systemctl stop matrix-synapse), or pass --service so the wizard stops it and starts it again afterwards.' };
    }
    const tables = await tableSizes(ctx.db);
    const largest = tables[0];
    const free = await freeSpace(ctx.db, await tryAdmin(ctx));
    if (free.freeBytes === undefined) return { status: 'blocked', message: `The free disk space of PostgreSQL's data directory cannot be checked: ${free.freeUnknown}.`, hint: 'Run the wizard on the database server (as root, with --pg-admin local) so it can check the space VACUUM FULL needs.' };
    if (largest && free.freeBytes < largest.bytes) {
      return { status: 'blocked', message: `${free.dataDirectory} has ${formatBytes(free.freeBytes)} free, less than the largest table ${largest.table} (${formatBytes(largest.bytes)}) whose copy VACUUM FULL writes.`, hint: 'Free disk space first, or use VACUUM (ANALYZE) without --full.' };
    }
    const before = await databaseBytes(ctx.db);
    ctx.found.full = { before, stopped: false } satisfies Found;
    return {
      status: 'needed',
      message: `The database takes ${formatBytes(before)}; ${formatBytes(free.freeBytes)} free at ${free.dataDirectory}, largest table ${largest?.table ?? '-'} ${formatBytes(largest?.bytes ?? 0)}.`,
      plan: [
        ...(running ? [{ kind: 'note' as const, text: `Stop Synapse with ${ctx.service!.describe()}, and start it again afterwards.` }] : []),
        ...(earlier ? [{ kind: 'note' as const, text: `Start Synapse again afterwards with ${ctx.service!.describe()}: an earlier run stopped it and was interrupted.` }] : []),
        { kind: 'sql', sql: 'VACUUM (FULL, ANALYZE);', database: ctx.db.args.dbname, note: `as ${ctx.db.args.user}` },
      ],
      confirm: `Run VACUUM FULL on ${ctx.db.args.dbname}${running ? ' (Synapse is stopped meanwhile)' : ''}?`,
    };
  },
  async apply(ctx, sc) {
    const f = ctx.found.full as Found;
    const marker = stoppedMarker(ctx);
    if (await health(ctx.baseUrl)) {
      await ensureDir(dirname(marker));
      await writeFileAtomic(marker, JSON.stringify({ stoppedAt: new Date().toISOString(), task: 'vacuum --full' }) + '\n', { mode: 0o600 });
      sc.log(`Stopping Synapse (${ctx.service!.describe()}) ...`);
      await ctx.service!.stop();
      f.stopped = true;
    } else if (await readTextOrUndefined(marker)) {
      sc.log(`An earlier run stopped Synapse for VACUUM FULL and was interrupted; it is started again once VACUUM FULL is done.`, 'warn');
      f.stopped = true;
    }
    try {
      await ctx.db.withClient((c) => c.query('VACUUM (FULL, ANALYZE)'));
    } finally {
      if (f.stopped) {
        sc.log('Starting Synapse again ...');
        await ctx.service!.start();
        await removeFile(marker);
      }
    }
    return 'VACUUM FULL finished.';
  },
  async verify(ctx) {
    const f = ctx.found.full as Found;
    const after = await databaseBytes(ctx.db);
    report(ctx, 'vacuum-full', 'VACUUM FULL: database size before and after', 'bytes', [
      { label: 'before', value: f.before },
      { label: 'after', value: after },
    ], [{ label: 'space reclaimed', value: Math.max(0, f.before - after), unit: 'bytes' }]);
    if (f.stopped && !(await health(ctx.baseUrl))) return { ok: false, message: 'Synapse did not come back after VACUUM FULL.', hint: 'Start Synapse by hand and read its log.' };
    return { ok: true, message: `the database went from ${formatBytes(f.before)} to ${formatBytes(after)}: ${formatBytes(Math.max(0, f.before - after))} given back to the file system${f.stopped ? '; Synapse serves again' : ''}.` };
  },
};
