// FAILURES 12 and 13: what synapse_port_db refuses in the SQLite file: unfinished background updates, auto_vacuum.
import Database from 'better-sqlite3';
import { existsSync, promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { formatArgv } from '../adapters/exec.js';
import { openReadOnly } from '../adapters/sqlite.js';
import { WizardError } from '../core/errors.js';
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
      fix: `with Synapse stopped, run ${formatArgv(ctx.exec.wrap(argv))} with the same Synapse version, then port`,
      needsSynapseStopped: true,
      plan: [{ kind: 'command', argv: ctx.exec.wrap(argv) }],
      apply: ctx.opts.serviceGiven
        ? async (sc) => {
            const r = await ctx.exec.run(argv, { timeoutMs: 6 * 3600_000, signal: sc.signal, onLine: (l) => sc.log(l) });
            if (r.exitCode !== 0) throw new WizardError('EXEC', `update_synapse_database failed: ${(r.spawnError ?? r.stderr).trim().split('\n').slice(-3).join(' ')}`, { hint: 'Start Synapse and let it finish the updates (watch background_updates empty), then run the doctor again.' });
            return 'Ran every pending background update.';
          }
        : undefined,
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
      fix: `with Synapse stopped, once, before the first port: PRAGMA auto_vacuum = 0; VACUUM; (never VACUUM between port runs)`,
      needsSynapseStopped: true,
      plan: [{ kind: 'command', argv: ['sqlite3', path, 'PRAGMA auto_vacuum = 0; VACUUM;'], note: 'done in-process with the same SQLite library' }],
      apply: async () => {
        const size = (await fs.stat(path)).size;
        const st = await fs.statfs(dirname(path));
        if (st.bavail * st.bsize < size) throw new WizardError('BLOCKED', `VACUUM rewrites ${path} and needs about its size (${size} bytes) free in ${dirname(path)}; only ${st.bavail * st.bsize} bytes are.`, { hint: 'Free space there first (see the disk-space finding), then run the doctor again.' });
        // The one write the doctor makes to the SQLite file, with Synapse stopped; VACUUM rewrites it in a transaction.
        const db = new Database(path, { fileMustExist: true });
        try {
          db.pragma('auto_vacuum = 0');
          db.exec('VACUUM');
        } finally {
          db.close();
        }
        return `Turned auto_vacuum off in ${path} and ran VACUUM once.`;
      },
    };
  },
  fromText: () => ({ cause: 'auto_vacuum is on in the SQLite file, so rowids are not stable between port runs.', fix: 'stop Synapse, run PRAGMA auto_vacuum=off; VACUUM; once, before the first port run' }),
};
