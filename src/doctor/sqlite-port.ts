// FAILURES 12 and 13: what synapse_port_db refuses in the SQLite file: unfinished background updates, auto_vacuum.
import type Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { formatArgv } from '../adapters/exec.js';
import { openReadOnly } from '../adapters/sqlite.js';
import type { DoctorContext } from './context.js';
import type { Diagnosis } from './types.js';
import { ERROR_TEXTS } from '../synapse/known-errors.js';

export const sqliteVisible = (ctx: DoctorContext) => !ctx.onPostgres && !!ctx.sqlitePath && existsSync(ctx.sqlitePath);

function withSqlite<T>(ctx: DoctorContext, f: (db: Database.Database) => T): T | undefined {
  if (ctx.onPostgres || !ctx.sqlitePath || !existsSync(ctx.sqlitePath)) return undefined;
  const db = openReadOnly(ctx.sqlitePath);
  try {
    return f(db);
  } finally {
    db.close();
  }
}

export const backgroundUpdates: Diagnosis = {
  id: 'sqlite-background-updates',
  rank: 70,
  title: 'Background updates are pending in the SQLite database',
  patterns: ERROR_TEXTS.backgroundUpdates,
  canCheck: sqliteVisible,
  async diagnose(ctx) {
    const names = withSqlite(ctx, (db) => {
      if (!db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'background_updates'`).get()) return [];
      return (db.prepare('SELECT update_name AS n FROM background_updates ORDER BY ordering').all() as { n: string }[]).map((r) => r.n);
    });
    if (!names?.length) return undefined;
    const cfg = ctx.exec.toInside(ctx.config!.files[0]!.path);
    const argv = ['update_synapse_database', '--database-config', cfg, '--run-background-updates'];
    return {
      id: this.id,
      title: this.title,
      evidence: `${ctx.sqlitePath}: background_updates holds ${names.length} unfinished update(s): ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''}.`,
      cause: 'synapse_port_db refuses a SQLite file with unfinished background updates; a newer port script can also add updates through schema deltas.',
      // the wizard never writes the live SQLite file: the cutover runs the updates on each snapshot it ports, and Synapse on its own file
      fix: `nothing before synapse-pg cutover: it runs ${formatArgv(['update_synapse_database', '--database-config', '<snapshot config>', '--run-background-updates'])} on each snapshot it ports, never on your file; for synapse_port_db by hand, let Synapse run until background_updates is empty, or with Synapse stopped run ${formatArgv(ctx.exec.wrap(argv))} yourself`,
      severity: 'advice',
      needsSynapseStopped: false,
      plan: [],
    };
  },
  fromText: () => ({ cause: 'The SQLite file has unfinished background updates.', fix: 'run update_synapse_database --database-config CFG --run-background-updates with the same Synapse version on the snapshot, then port' }),
};

export const autoVacuum: Diagnosis = {
  id: 'sqlite-auto-vacuum',
  rank: 72,
  title: 'auto_vacuum is enabled in the SQLite database',
  patterns: ERROR_TEXTS.autoVacuum,
  canCheck: sqliteVisible,
  async diagnose(ctx) {
    const mode = withSqlite(ctx, (db) => Number(db.pragma('auto_vacuum', { simple: true })));
    if (!mode) return undefined;
    const path = ctx.sqlitePath!;
    return {
      id: this.id,
      title: this.title,
      evidence: `PRAGMA auto_vacuum on ${path} is ${mode} (${mode === 1 ? 'FULL' : 'INCREMENTAL'}).`,
      cause: 'synapse_port_db relies on rowids staying put between runs; auto_vacuum moves rows.',
      fix: `with Synapse stopped, once, before the first port (it needs about the file's size free beside it): sqlite3 ${path} "PRAGMA auto_vacuum = 0; VACUUM;" then start Synapse again; never VACUUM between port runs. The wizard leaves your live SQLite file to you`,
      needsSynapseStopped: true,
      // The wizard never writes the live SQLite file: the VACUUM is the admin's to run, with Synapse stopped, once, before the first port.
      plan: [],
    };
  },
  fromText: () => ({ cause: 'auto_vacuum is on in the SQLite file, so rowids are not stable between port runs.', fix: 'stop Synapse, run PRAGMA auto_vacuum=off; VACUUM; once, before the first port run' }),
};
