// Before a destructive task: a backup when the admin names a file (--backup-file) or says yes when asked; skipped otherwise, saying so.
import { resolve } from 'node:path';
import type { Step } from '../../core/step.js';
import type { MaintainContext } from '../context.js';
import { backup, backupTarget } from './backup.js';

export const offerBackup: Step<MaintainContext> = {
  id: 'offer-backup',
  title: 'Backup before the change',
  why: 'What the next step deletes cannot be brought back without a backup.',
  async gather(ctx, sc, ask) {
    if (ctx.found.nothingToDo) return;
    let file = ctx.opts.backupFile;
    if (!file && ask && !sc.dryRun) {
      const want = await ask.confirm({ message: 'Make a backup (pg_dump -Fc) before this change?', initial: true });
      if (want) file = await ask.text({ message: 'Where should the backup go?', initial: `/var/backups/${ctx.db.args.dbname}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}.dump` });
    }
    ctx.found.backupFile = file ? resolve(file) : undefined;
  },
  async check(ctx) {
    if (ctx.found.nothingToDo) return { status: 'skip', message: 'Nothing will be changed, so no backup is needed.' };
    const file = ctx.found.backupFile as string | undefined;
    if (!file) return { status: 'skip', message: 'No backup was made first. Pass --backup-file PATH to have one made (and verified) before the change.' };
    return backupTarget(ctx, file);
  },
  apply: backup.apply,
  verify: backup.verify,
};
