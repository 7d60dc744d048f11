// FAILURES 21: "invalid input syntax for type bigint" during a port points at a damaged SQLite file; PRAGMA integrity_check says
// for sure. It reads the whole file, so it runs only when an error text points here.
import { existsSync } from 'node:fs';
import { openReadOnly } from '../adapters/sqlite.js';
import type { DoctorContext } from './context.js';
import { matchingLines } from './text.js';
import type { Diagnosis } from './types.js';
import { ERROR_TEXTS } from '../synapse/known-errors.js';

const PATTERNS = ERROR_TEXTS.sqliteCorrupt;

export const sqliteIntegrity: Diagnosis = {
  id: 'sqlite-corrupt',
  rank: 63,
  title: 'The SQLite file is damaged',
  patterns: PATTERNS,
  canCheck: (ctx: DoctorContext) => !ctx.onPostgres && !!ctx.sqlitePath && existsSync(ctx.sqlitePath),
  async diagnose(ctx) {
    if (ctx.onPostgres || !ctx.sqlitePath || !existsSync(ctx.sqlitePath) || !matchingLines(ctx, PATTERNS).length) return undefined;
    const db = openReadOnly(ctx.sqlitePath);
    let problems: string[];
    try {
      problems = (db.pragma('integrity_check(20)') as { integrity_check: string }[]).map((r) => r.integrity_check).filter((m) => m !== 'ok');
    } catch (e) {
      problems = [(e as Error).message];
    } finally {
      db.close();
    }
    if (!problems.length) return undefined;
    return {
      id: this.id,
      title: this.title,
      evidence: `PRAGMA integrity_check on ${ctx.sqlitePath}: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? '; ...' : ''}.`,
      cause: 'The SQLite file is damaged (a crash, a full disk, a copy taken while Synapse wrote); the port reads garbage where numbers should be (matrix-org/synapse#15225).',
      fix: 'restore the file from a backup taken with Synapse stopped; failing that, sqlite3 homeserver.db ".recover" into a new file and port that (some rows may be lost)',
      needsSynapseStopped: false,
      plan: [],
    };
  },
  fromText: () => ({ cause: 'A value that should be a number is not (matrix-org/synapse#15225): suspected SQLite corruption.', fix: 'run sqlite3 homeserver.db "PRAGMA integrity_check" and restore a backup if it reports damage' }),
};
