// FAILURES 19: 'invalid byte sequence for encoding "UTF8"': SQLite accepted bytes that are not UTF-8. When a port error says so,
// the doctor finds the rows (a full read of the text columns, so only then).
import { existsSync } from 'node:fs';
import { openReadOnly } from '../adapters/sqlite.js';
import { matchingLines } from './text.js';
import type { Diagnosis } from './types.js';
import { ERROR_TEXTS } from '../synapse/known-errors.js';

const PATTERNS = ERROR_TEXTS.invalidUtf8;
const quote = (n: string) => `"${n.replace(/"/g, '""')}"`;

export const sqliteUtf8: Diagnosis = {
  id: 'port-invalid-utf8',
  rank: 64,
  title: 'SQLite rows hold bytes that are not UTF-8',
  patterns: PATTERNS,
  canCheck: (ctx) => !ctx.onPostgres && !!ctx.sqlitePath && existsSync(ctx.sqlitePath),
  async diagnose(ctx) {
    if (ctx.onPostgres || !ctx.sqlitePath || !existsSync(ctx.sqlitePath) || !matchingLines(ctx, PATTERNS).length) return undefined;
    const db = openReadOnly(ctx.sqlitePath);
    const bad: string[] = [];
    const decoder = new TextDecoder('utf-8', { fatal: true });
    try {
      const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as { name: string }[]).map((t) => t.name);
      for (const t of tables) {
        const cols = (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(t) as { name: string }[]).map((c) => c.name);
        for (const col of cols) {
          // typeof() = 'text' values only, read as their raw bytes
          const rows = db.prepare(`SELECT rowid AS r, CAST(${quote(col)} AS BLOB) AS b FROM ${quote(t)} WHERE typeof(${quote(col)}) = 'text'`).iterate() as Iterable<{ r: number; b: Buffer }>;
          for (const row of rows) {
            try {
              decoder.decode(row.b);
            } catch {
              bad.push(`${t}.${col} rowid ${row.r}`);
              if (bad.length >= 10) break;
            }
          }
          if (bad.length >= 10) break;
        }
        if (bad.length >= 10) break;
      }
    } finally {
      db.close();
    }
    if (!bad.length) return undefined;
    return {
      id: this.id,
      title: this.title,
      evidence: `Text that is not valid UTF-8 in ${ctx.sqlitePath}: ${bad.join(', ')}${bad.length >= 10 ? ' (first 10)' : ''}.`,
      cause: 'SQLite stores whatever bytes it is given; PostgreSQL refuses text that is not UTF-8, so the port stops at these rows (matrix-org/synapse#3538).',
      fix: 'fix or delete those rows in a copy of the SQLite file (there is no official fix), then port the copy',
      needsSynapseStopped: false,
      plan: [],
    };
  },
  fromText: () => ({ cause: 'A row in SQLite holds bytes that are not valid UTF-8, which PostgreSQL refuses (matrix-org/synapse#3538).', fix: 'find the row named in the port log and fix or delete it in a copy; there is no official fix' }),
};
