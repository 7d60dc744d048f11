// Each maintenance task as a readable list of steps; every destructive one offers a backup first.
import type { Step } from '../core/step.js';
import type { MaintainContext, MaintainTask } from './context.js';
import { adminToken } from './steps/admin-token.js';
import { backup } from './steps/backup.js';
import { compressState, compressTool } from './steps/compress.js';
import { connect } from './steps/connect.js';
import { deleteRooms } from './steps/delete-rooms.js';
import { emptyRooms } from './steps/empty-rooms.js';
import { offerBackup } from './steps/offer-backup.js';
import { purgeHistory } from './steps/purge.js';
import { purgeScope } from './steps/purge-scope.js';
import { restore } from './steps/restore.js';
import { restoreTarget } from './steps/restore-target.js';
import { sizeReport } from './steps/size-report.js';
import { superuser } from './steps/superuser.js';
import { vacuumAnalyze } from './steps/vacuum.js';
import { vacuumFull } from './steps/vacuum-full.js';

export function maintainSteps(task: MaintainTask, full: boolean): Step<MaintainContext>[] {
  switch (task) {
    case 'report':
      return [connect, sizeReport];
    case 'backup':
      return [connect, backup];
    case 'restore':
      return [connect, superuser, restoreTarget, restore];
    case 'vacuum':
      return full ? [connect, offerBackup, vacuumFull] : [connect, vacuumAnalyze];
    case 'purge':
      return [connect, adminToken, purgeScope, offerBackup, purgeHistory];
    case 'rooms':
      return [connect, adminToken, emptyRooms, offerBackup, deleteRooms];
    case 'compress':
      return [connect, compressTool, offerBackup, compressState];
  }
}

export const TASK_TITLES: Record<MaintainTask, string> = {
  report: 'Maintenance: size report',
  backup: 'Maintenance: backup (pg_dump -Fc)',
  restore: 'Maintenance: restore a backup into a new database',
  vacuum: 'Maintenance: vacuum',
  purge: 'Maintenance: purge old history',
  rooms: 'Maintenance: delete rooms without local members',
  compress: 'Maintenance: compress state (synapse_auto_compressor)',
};

/** The task menu shown when `maintain` is run on a terminal without a task. */
export const TASK_CHOICES: { value: MaintainTask; label: string; hint?: string }[] = [
  { value: 'report', label: 'Size report', hint: 'read-only: database, largest tables, free disk' },
  { value: 'backup', label: 'Backup', hint: 'pg_dump -Fc, checked with pg_restore --list' },
  { value: 'restore', label: 'Restore a backup into a new database', hint: 'proven by row counts' },
  { value: 'vacuum', label: 'VACUUM (ANALYZE)', hint: 'online; --full for VACUUM FULL with Synapse stopped' },
  { value: 'purge', label: 'Purge old history', hint: 'Admin API; needs an admin access token' },
  { value: 'rooms', label: 'Delete rooms without local members', hint: 'Admin API; shows the list first' },
  { value: 'compress', label: 'Compress state', hint: 'synapse_auto_compressor' },
];
