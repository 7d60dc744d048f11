// Before a destructive task: a backup when the admin names a file (--backup-file) or says yes when asked; skipped otherwise, saying so.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Step } from '../../core/step.js';
import { checkBackup, manifestPath } from '../backup-run.js';
import type { MaintainContext } from '../context.js';
import { backupPlan, runBackup } from './backup.js';

export const offerBackup: Step<MaintainContext> = {
  id: 'offer-backup',
  title: 'Backup before the change',
  why: 'What the next step deletes cannot be brought back without a backup.',
  async check(ctx, sc) {
    if (ctx.found.nothingToDo) return { status: 'skip', message: 'Nothing will be changed, so no backup is needed.' };
    let file = ctx.opts.backupFile;
    if (!file && ctx.prompter.interactive && !sc.dryRun) {
      const want = await ctx.prompter.confirm({ message: 'Make a backup (pg_dump -Fc) before this change?', initial: true });
      if (want) file = await ctx.prompter.text({ message: 'Where should the backup go?', initial: `/var/backups/${ctx.db.args.dbname}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}.dump` });
    }
    if (!file) return { status: 'skip', message: 'No backup was made first. Pass --backup-file PATH to have one made (and verified) before the change.' };
    file = resolve(file);
    ctx.found.backupFile = file;
    for (const f of [file, manifestPath(file)]) {
      if (existsSync(f)) return { status: 'blocked', message: `${f} exists already; a backup never overwrites a file.`, hint: 'Choose a new path with --backup-file.' };
    }
    return backupPlan(ctx, file);
  },
  async apply(ctx, sc) {
    return runBackup(ctx, ctx.found.backupFile as string, sc);
  },
  async verify(ctx, sc) {
    return checkBackup(ctx.found.backupFile as string, sc.signal);
  },
};
