// `synapse-pg status`: where things stand: config, database in use, cutover journal, Synapse running. Read-only.
import { dirname } from 'node:path';
import type { ParsedArgs } from '../cli/args.js';
import { journalPath, readJournal, type Journal } from '../cutover/journal.js';
import { detect, type Detection } from '../status/detect.js';
import type { Ui } from '../core/ui.js';
import { detectOptions } from './detect-options.js';

export interface StatusReport {
  event: 'status';
  config: Detection['config'];
  database?: Detection['database'];
  synapse: Detection['synapse'];
  postgres: Detection['postgres'];
  cutover?: { journal: string; phase: Journal['phase']; startedAt: string; finishedSteps: string[]; servedOnPostgresAt?: string; estimatedDowntimeMs?: number; measuredDowntimeMs?: number; rollbackReason?: string };
}

export async function statusReport(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): Promise<StatusReport> {
  const d = await detect({ ...(await detectOptions(args, env)), timeoutMs: 1500 });
  const report: StatusReport = { event: 'status', config: d.config, database: d.database, synapse: d.synapse, postgres: d.postgres };
  const first = d.config && 'paths' in d.config ? d.config.paths[0] : undefined;
  if (first) {
    const path = journalPath(dirname(first));
    const j = await readJournal(path).catch(() => undefined);
    if (j) report.cutover = { journal: path, phase: j.phase, startedAt: j.startedAt, finishedSteps: Object.keys(j.steps), servedOnPostgresAt: j.servedOnPostgresAt, estimatedDowntimeMs: j.estimatedDowntimeMs, measuredDowntimeMs: j.measuredDowntimeMs, rollbackReason: j.rollbackReason };
  }
  return report;
}

const PHASE: Record<Journal['phase'], string> = {
  phase1: 'phase 1 (Synapse still runs on SQLite; run synapse-pg cutover to continue)',
  downtime: 'phase 2, the downtime (Synapse is stopped; run synapse-pg cutover now to finish or roll back)',
  done: 'done: Synapse was moved to PostgreSQL',
  'rolled-back': 'rolled back to SQLite (run synapse-pg cutover to try again)',
};

export async function runStatus(args: ParsedArgs, ui: Ui): Promise<StatusReport> {
  const r = await statusReport(args);
  const line = (message: string) => ui.emit({ event: 'log', id: 'status', level: 'info', message });
  if (args.flags.json) ui.emit({ ...r });
  if (!r.config) line('Config: none found (pass -c /path/to/homeserver.yaml).');
  else if ('error' in r.config) line(`Config: cannot be read: ${r.config.error}`);
  else line(`Config: ${r.config.paths.join(', ')}${r.config.databaseFile ? ` (database: in ${r.config.databaseFile})` : ''}`);
  const db = r.database;
  if (db) line(`Database in use: ${db.engine === 'sqlite' ? `SQLite ${db.path ?? ''}` : db.engine === 'postgres' ? `PostgreSQL ${db.dbname} on ${db.host}:${db.port}${db.user ? ` as ${db.user}` : ''} (${r.postgres.reachable ? 'reachable' : 'not reachable'})` : db.name}`);
  line(`Synapse: ${r.synapse.running ? 'running' : 'not running'} (${r.synapse.evidence})`);
  if (r.cutover) {
    const c = r.cutover;
    line(`Cutover: ${PHASE[c.phase]}; started ${c.startedAt}; finished steps: ${c.finishedSteps.join(', ') || 'none'}; journal ${c.journal}`);
    if (c.measuredDowntimeMs !== undefined) line(`Downtime: ${Math.round(c.measuredDowntimeMs / 1000)} s${c.estimatedDowntimeMs !== undefined ? ` (estimated ${Math.round(c.estimatedDowntimeMs / 1000)} s)` : ''}`);
    if (c.rollbackReason) line(`Rolled back because: ${c.rollbackReason}`);
  } else line('Cutover: none started.');
  ui.emit({ event: 'done', ok: true, message: r.cutover ? `Cutover ${r.cutover.phase}.` : `No cutover recorded.` });
  return r;
}
