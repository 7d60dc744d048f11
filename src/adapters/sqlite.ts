// Read-only looks into Synapse's SQLite file: the wizard never writes to it.
import Database from 'better-sqlite3';
import { promises as fs } from 'node:fs';
import { WizardError } from '../core/errors.js';

export interface SqliteSummary {
  path: string;
  exists: boolean;
  sizeBytes: number;
  tables: number;
  users: number;
  events: number;
}

export function openReadOnly(path: string): Database.Database {
  try {
    return new Database(path, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw new WizardError('SQLITE', `Cannot open the SQLite database ${path} read-only: ${(e as Error).message}`, { cause: e, hint: 'Check that the file exists and that this user may read it and its directory.' });
  }
}

function countIfExists(db: Database.Database, table: string): number {
  const t = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table);
  if (!t) return 0;
  return Number((db.prepare(`SELECT count(*) AS n FROM "${table.replace(/"/g, '""')}"`).get() as { n: number }).n);
}

export async function summarizeSqlite(path: string): Promise<SqliteSummary> {
  const st = await fs.stat(path).catch(() => undefined);
  if (!st) return { path, exists: false, sizeBytes: 0, tables: 0, users: 0, events: 0 };
  if (st.size === 0) return { path, exists: true, sizeBytes: 0, tables: 0, users: 0, events: 0 };
  const db = openReadOnly(path);
  try {
    const tables = Number((db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'`).get() as { n: number }).n);
    return { path, exists: true, sizeBytes: st.size, tables, users: countIfExists(db, 'users'), events: countIfExists(db, 'events') };
  } finally {
    db.close();
  }
}

/** True when Synapse has stored anything worth keeping: switching such a config without porting would hide that data. */
export function hasSynapseData(s: SqliteSummary): boolean {
  return s.users > 0 || s.events > 0;
}
