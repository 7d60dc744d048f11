// Before a destructive task: a backup when the admin names a file (--backup-file) or says yes when asked; skipped otherwise, saying so.
import type { Step } from '../../core/step.js';
import type { MaintainContext } from '../context.js';
import { backup, backupTarget } from './backup.js';

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
    return backupTarget(ctx, file);
  },
  apply: backup.apply,
  verify: backup.verify,
};
