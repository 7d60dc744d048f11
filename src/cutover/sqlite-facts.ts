// Read-only facts about the SQLite file that decide whether synapse_port_db can port it.
import { promises as fs } from 'node:fs';
import type Database from 'better-sqlite3';
import { openReadOnly } from '../adapters/sqlite.js';

export interface SqliteFacts {
  sizeBytes: number;
  quickCheck: string;
  autoVacuum: number;
  pendingBackgroundUpdates: string[];
  schemaVersion?: number;
  compatVersion?: number;
}

function hasTable(db: Database.Database, name: string): boolean {
  return !!db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name);
}

/** Size of the file plus its WAL: what a snapshot will need. */
export async function sqliteBytes(path: string): Promise<number> {
  const main = (await fs.stat(path)).size;
  const wal = await fs.stat(`${path}-wal`).then((s) => s.size, () => 0);
  return main + wal;
}

/** Why `path` is not a Synapse SQLite database (empty, not a regular file, not SQLite, no Synapse tables); undefined when it is one. */
export async function notSynapseSqlite(path: string): Promise<string | undefined> {
  const st = await fs.stat(path);
  if (!st.isFile()) return 'it is not a regular file';
  if (st.size === 0) return 'the file is empty (0 bytes); SQLite would treat it as a new, empty database';
  let db: Database.Database;
  try {
    db = openReadOnly(path);
  } catch (e) {
    return `it cannot be opened as SQLite (${(e as Error).message})`;
  }
  try {
    const missing = ['schema_version', 'users', 'events', 'rooms'].filter((t) => !hasTable(db, t));
    return missing.length ? `it is an SQLite file without Synapse's tables (${missing.join(', ')} missing)` : undefined;
  } catch (e) {
    return `it cannot be read as SQLite (${(e as Error).message})`;
  } finally {
    db.close();
  }
}

export async function sqliteFacts(path: string, opts: { quickCheck: boolean }): Promise<SqliteFacts> {
  const sizeBytes = await sqliteBytes(path);
  const db = openReadOnly(path);
  try {
    const quickCheck = opts.quickCheck ? quickCheckOf(db) : 'not run';
    const autoVacuum = Number(db.pragma('auto_vacuum', { simple: true }));
    const pendingBackgroundUpdates = hasTable(db, 'background_updates') ? (db.prepare('SELECT update_name AS n FROM background_updates ORDER BY ordering, update_name').all() as { n: string }[]).map((r) => r.n) : [];
    const sv = hasTable(db, 'schema_version') ? (db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined) : undefined;
    const cv = hasTable(db, 'schema_compat_version') ? (db.prepare('SELECT compat_version FROM schema_compat_version').get() as { compat_version: number } | undefined) : undefined;
    return { sizeBytes, quickCheck, autoVacuum, pendingBackgroundUpdates, schemaVersion: sv?.version, compatVersion: cv?.compat_version };
  } finally {
    db.close();
  }
}

/** Row counts of every table (sqlite_* excluded), read-only. */
export function sqliteRowCounts(path: string): Record<string, number> {
  const db = openReadOnly(path);
  try {
    const names = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'`).all() as { name: string }[]).map((r) => r.name);
    const out: Record<string, number> = {};
    for (const n of names) {
      try {
        out[n] = Number((db.prepare(`SELECT count(*) AS c FROM "${n.replace(/"/g, '""')}"`).get() as { c: number }).c);
      } catch {
        // virtual tables (FTS) whose module is missing here; synapse_port_db skips those too
      }
    }
    return out;
  } finally {
    db.close();
  }
}

/** max(rowid) per table: cheap (one index lookup) even on large files. */
export function sqliteMaxRowids(path: string, tables: string[]): Record<string, number> {
  const db = openReadOnly(path);
  try {
    const out: Record<string, number> = {};
    for (const t of tables) {
      if (!hasTable(db, t)) continue;
      try {
        out[t] = Number((db.prepare(`SELECT coalesce(max(rowid), 0) AS m FROM "${t.replace(/"/g, '""')}"`).get() as { m: number }).m);
      } catch {
        /* WITHOUT ROWID or virtual */
      }
    }
    return out;
  } finally {
    db.close();
  }
}

/** PRAGMA quick_check's report; a file too damaged for the check to finish (SQLITE_CORRUPT) reports SQLite's error instead. */
function quickCheckOf(db: ReturnType<typeof openReadOnly>): string {
  try {
    return (db.pragma('quick_check', { simple: false }) as { quick_check: string }[]).map((r) => r.quick_check).join('; ');
  } catch (e) {
    return `the check itself failed: ${(e as Error).message}`;
  }
}
