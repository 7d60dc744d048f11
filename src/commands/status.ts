// `synapse-pg status`: where things stand: config, database in use, cutover journal, Synapse running. Read-only.
import { dirname } from 'node:path';
import { commandLine, type ParsedArgs } from '../cli/args.js';
import { journalPath, readJournal, type Journal } from '../cutover/journal.js';
import { detect, type Detection } from '../status/detect.js';
import { servingDatabase, type Serving } from '../status/serving.js';
import { loadConfig, sqliteDatabasePath } from '../config/load.js';
import { createExecutor, parseExecTarget, parsePathMap } from '../adapters/exec.js';
import type { Ui } from '../core/ui.js';
import { detectOptions, sandboxExecTarget } from './detect-options.js';
import { containerExecTarget, containerFacts, publishedBaseUrl } from '../synapse/container.js';
import { parseServiceSpec } from '../synapse/service.js';

export interface StatusReport {
  event: 'status';
  config: Detection['config'];
  database?: Detection['database'];
  /** database: what a running Synapse serves from, seen on the system (its role's PostgreSQL sessions, or the SQLite file held open). */
  synapse: Detection['synapse'] & { database?: Serving['database']; databaseEvidence?: string };
  postgres: Detection['postgres'];
  /** situation: where the cutover stands, from the journal checked against the system. */
  cutover?: { journal: string; phase: Journal['phase']; situation: string; startedAt: string; finishedSteps: string[]; servedOnPostgresAt?: string; estimatedDowntimeMs?: number; measuredDowntimeMs?: number; rollbackReason?: string };
}

export async function statusReport(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): Promise<StatusReport> {
  // --service compose:/docker: Synapse's port and files as the engine maps them to this host
  const container = args.flags.service ? await containerFacts(parseServiceSpec(args.flags.service)) : undefined;
  const clientUrl = container && ((port: number) => publishedBaseUrl(container, port));
  const d = await detect({ ...(await detectOptions(args, env)), timeoutMs: 1500, clientUrl });
  const report: StatusReport = { event: 'status', config: d.config, database: d.database, synapse: d.synapse, postgres: d.postgres };
  const paths = d.config && 'paths' in d.config ? d.config.paths : [];
  const first = paths[0];
  if (first && d.synapse.running) {
    const loaded = await loadConfig(paths).catch(() => undefined);
    if (loaded) {
      const pathMap = [...parsePathMap(args.flags['path-map'] ?? []), ...(container?.mounts.map(({ host, inside }) => ({ host, inside })) ?? [])];
      const target = container && !args.flags['synapse-exec'] ? containerExecTarget(container) : args.flags['synapse-exec'] ? parseExecTarget(args.flags['synapse-exec'], '--synapse-exec') : ((await sandboxExecTarget(args, env)) ?? parseExecTarget('local', '--synapse-exec'));
      const exec = createExecutor(target, pathMap);
      const inside = sqliteDatabasePath(loaded, exec.toInside(dirname(first)));
      const serving = await servingDatabase(loaded, inside === undefined ? undefined : (exec.toHost(inside) ?? inside));
      report.synapse = { ...report.synapse, database: serving.database, databaseEvidence: serving.evidence };
    }
  }
  if (first) {
    const path = journalPath(dirname(first));
    const j = await readJournal(path).catch(() => undefined);
    if (j) report.cutover = { journal: path, phase: j.phase, situation: situation(j, report, (...w) => commandLine(args, ...w)), startedAt: j.startedAt, finishedSteps: Object.keys(j.steps), servedOnPostgresAt: j.servedOnPostgresAt, estimatedDowntimeMs: j.estimatedDowntimeMs, measuredDowntimeMs: j.measuredDowntimeMs, rollbackReason: j.rollbackReason };
  }
  return report;
}

/** The journal says what the last run did; the system says what is true now. Where they disagree, the system wins. */
function situation(j: Journal, r: StatusReport, cmd: (...words: string[]) => string): string {
  const running = r.synapse.running;
  const on = r.synapse.database;
  switch (j.phase) {
    case 'phase1':
      return `phase 1: Synapse ${running ? `keeps running${on === 'sqlite' ? ' on SQLite' : ''}` : 'is not running'}; run ${cmd('cutover')} to continue`;
    case 'downtime':
      if (running && on === 'postgres') return `phase 2 is not finished in the journal, but Synapse answers and serves from PostgreSQL: run ${cmd('cutover')} to verify and finish it`;
      if (running) return `phase 2 is not finished in the journal, and Synapse answers again${on === 'sqlite' ? ' on SQLite' : ''}: run ${cmd('cutover')} to stop it and finish phase 2, or keep SQLite and roll back`;
      return `phase 2, the downtime: Synapse is stopped; run ${cmd('cutover')} now to finish or roll back`;
    case 'done':
      return running ? `done: Synapse was moved to PostgreSQL${on === 'postgres' ? ' and serves from it' : ''}` : `done: Synapse was moved to PostgreSQL, but it is not running now (start it; ${cmd('doctor')} says why it does not)`;
    case 'rolled-back':
      return `rolled back to SQLite (run ${cmd('cutover')} to try again)`;
  }
}

export async function runStatus(args: ParsedArgs, ui: Ui): Promise<StatusReport> {
  const r = await statusReport(args);
  const line = (message: string) => ui.emit({ event: 'log', id: 'status', level: 'info', message });
  if (args.flags.json) ui.emit({ ...r });
  if (!r.config) line('Config: none found (pass -c /path/to/homeserver.yaml).');
  else if ('error' in r.config) line(`Config: cannot be read: ${r.config.error}`);
  else line(`Config: ${r.config.paths.join(', ')}${r.config.databaseFile ? ` (database: in ${r.config.databaseFile})` : ''}`);
  const db = r.database;
  if (db) line(`Database in use: ${db.engine === 'sqlite' ? `SQLite ${db.path ?? ''}` : db.engine === 'postgres' ? `PostgreSQL ${db.dbname} on ${db.host}:${db.port}${db.user ? ` as ${db.user}` : ''} (${r.postgres.reachable ? 'reachable' : 'not reachable'})` : db.name}`);
  line(`Synapse: ${r.synapse.running ? 'running' : 'not running'} (${r.synapse.evidence})${r.synapse.database ? `; serves from ${r.synapse.database === 'unknown' ? 'an unknown database' : r.synapse.database === 'postgres' ? 'PostgreSQL' : 'SQLite'} (${r.synapse.databaseEvidence})` : ''}`);
  if (r.cutover) {
    const c = r.cutover;
    line(`Cutover: ${c.situation}; started ${c.startedAt}; finished steps: ${c.finishedSteps.join(', ') || 'none'}; journal ${c.journal}`);
    if (c.measuredDowntimeMs !== undefined) line(`Downtime: ${Math.round(c.measuredDowntimeMs / 1000)} s${c.estimatedDowntimeMs !== undefined ? ` (estimated ${Math.round(c.estimatedDowntimeMs / 1000)} s)` : ''}`);
    if (c.rollbackReason) line(`Rolled back because: ${c.rollbackReason}`);
  } else line('Cutover: none started.');
  ui.emit({ event: 'done', ok: true, message: r.cutover ? `Cutover ${r.cutover.phase}.` : `No cutover recorded.` });
  return r;
}
