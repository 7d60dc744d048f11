// Turns maintain's flags into options, with the same rules a prompt would apply.
import { parsePgAdminSpec } from '../adapters/pg-admin.js';
import type { ParsedArgs } from '../cli/args.js';
import { WizardError } from '../core/errors.js';
import { MAINTAIN_TASKS, type MaintainOptions, type MaintainTask } from './context.js';

/** --before: 2024-01-31, an ISO date and time, milliseconds since the epoch, or NNd (days ago). */
export function parseBefore(value: string, now = Date.now()): number {
  const v = value.trim();
  const days = /^(\d+)d$/.exec(v);
  if (days) return now - Number(days[1]) * 86_400_000;
  if (/^\d{12,}$/.test(v)) return Number(v);
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
  if (Number.isNaN(t)) throw new WizardError('BAD_INPUT', `--before "${value}" is not a date.`, { hint: 'Use 2024-01-31 (UTC midnight), 2024-01-31T12:00:00Z, milliseconds since the epoch, or 90d for 90 days ago.' });
  if (t > now) throw new WizardError('BAD_INPUT', `--before "${value}" is in the future.`, { hint: 'The cut-off must be in the past.' });
  return t;
}

export function maintainOptions(args: ParsedArgs): MaintainOptions {
  const f = args.flags;
  const task = args.positionals[0] ?? 'report';
  if (!(MAINTAIN_TASKS as readonly string[]).includes(task)) {
    throw new WizardError('BAD_INPUT', `maintain does not know "${task}".`, { hint: `synapse-pg maintain ${MAINTAIN_TASKS.join('|')} [FLAGS]; see synapse-pg --help.` });
  }
  const top = f.top === undefined ? 15 : Number(f.top);
  if (!Number.isInteger(top) || top < 1) throw new WizardError('BAD_INPUT', `--top "${f.top}" is not a positive number.`, { hint: 'For example --top 20.' });
  return {
    task: task as MaintainTask,
    backupFile: f['backup-file'],
    restoreDb: f['restore-db'],
    full: !!f.full,
    rooms: f.room ?? [],
    allRooms: !!f['all-rooms'],
    beforeTs: f.before === undefined ? undefined : parseBefore(f.before),
    deleteLocalEvents: !!f['delete-local-events'],
    adminTokenFile: f['admin-token-file'],
    synapseUrl: f['synapse-url'],
    top,
    pgAdmin: parsePgAdminSpec(f['pg-admin'] ?? 'local'),
    pgAdminGiven: f['pg-admin'] !== undefined,
  };
}
