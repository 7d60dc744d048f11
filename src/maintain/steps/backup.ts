// Backup: pg_dump -Fc of Synapse's database to a new file, verified with pg_restore --list.
import { exists } from '../../adapters/files.js';
import { resolve } from 'node:path';
import type { Step, StepContext } from '../../core/step.js';
import type { CheckResult } from '../../core/step.js';
import { checkBackup, makeBackup, manifestPath } from '../backup-run.js';
import { report, type MaintainContext } from '../context.js';
import { EXCLUDED_DATA, pgDumpArgv } from '../pg-tools.js';
import { formatBytes } from '../sizes.js';

export function backupPlan(ctx: MaintainContext, file: string, confirm?: string): CheckResult {
  return {
    status: 'needed',
    message: `A backup will be written to ${file}.`,
    plan: [
      { kind: 'command', argv: pgDumpArgv(ctx.db.args, file, '<snapshot>'), note: `password in PGPASSWORD; the data of ${EXCLUDED_DATA.join(', ')} is left out, as Synapse's docs advise` },
      { kind: 'note', text: `The exact row counts of the same snapshot go to ${manifestPath(file)}, so a restore can be proven. Both files get mode 0600.` },
    ],
    confirm,
  };
}

export async function runBackup(ctx: MaintainContext, file: string, sc: StepContext): Promise<string> {
  const t0 = Date.now();
  const out = await makeBackup(ctx, file, sc.signal, (m) => sc.log(m));
  report(ctx, 'backup', `Backup ${file}`, 'count', [], [
    { label: 'archive size', value: out.bytes, unit: 'bytes' },
    { label: 'tables', value: out.tables, unit: 'count' },
    { label: 'rows', value: out.rows, unit: 'count' },
    { label: 'seconds', value: Math.round((Date.now() - t0) / 100) / 10, unit: 'count' },
  ]);
  return `Wrote ${file} (${formatBytes(out.bytes)}, ${out.tables} tables, ${out.rows} rows).`;
}

export const backup: Step<MaintainContext> = {
  id: 'backup',
  title: 'Back up the database (pg_dump -Fc)',
  why: 'A custom-format dump can be restored table by table, and is the safety net before any destructive task.',
  async gather(ctx, _sc, ask) {
    const file = ctx.opts.backupFile ?? (await ask?.text({ message: 'Where should the backup go?', initial: `/var/backups/${ctx.db.args.dbname}-${new Date().toISOString().slice(0, 10)}.dump` }));
    ctx.found.backupFile = file ? resolve(file) : undefined;
  },
  async check(ctx) {
    const file = ctx.found.backupFile as string | undefined;
    if (!file) return { status: 'blocked', message: 'No backup file was named.', hint: 'Pass --backup-file PATH (a new file; it is never overwritten).' };
    return backupTarget(ctx, file);
  },
  async apply(ctx, sc) {
    return runBackup(ctx, ctx.found.backupFile as string, sc);
  },
  async verify(ctx, sc) {
    return checkBackup(ctx.found.backupFile as string, sc.signal);
  },
};

/** A backup file (absolute): never one that exists (nor its row-count manifest); otherwise the plan. */
export async function backupTarget(ctx: MaintainContext, file: string): Promise<CheckResult> {
  for (const f of [file, manifestPath(file)]) {
    if (await exists(f)) return { status: 'blocked', message: `${f} exists already; a backup never overwrites a file.`, hint: 'Choose a new path with --backup-file.' };
  }
  return backupPlan(ctx, file);
}
