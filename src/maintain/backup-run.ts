// Makes and checks a backup: pg_dump -Fc inside an exported snapshot, with the exact row counts of that snapshot saved beside it.
import { existsSync, promises as fs } from 'node:fs';
import { WizardError } from '../core/errors.js';
import type { MaintainContext } from './context.js';
import { EXCLUDED_DATA, parseRestoreList, pgDumpArgv, pgRestoreListArgv, runPgTool } from './pg-tools.js';
import { rowCounts, type RowCounts } from './row-counts.js';

export interface BackupManifest {
  database: string;
  madeAt: string;
  /** Tables whose data the archive leaves out (their rows are not counted as expected). */
  excludedData: string[];
  rows: RowCounts;
}

export const manifestPath = (file: string) => `${file}.rows.json`;

export interface BackupOutcome {
  bytes: number;
  tables: number;
  rows: number;
}

/** Writes FILE (mode 0600: it holds access tokens and password hashes) and FILE.rows.json; a failed dump leaves neither. */
export async function makeBackup(ctx: MaintainContext, file: string, signal: AbortSignal, onLog: (m: string) => void = () => undefined): Promise<BackupOutcome> {
  for (const f of [file, manifestPath(file)]) {
    if (existsSync(f)) throw new WizardError('BLOCKED', `${f} exists already; a backup never overwrites a file.`, { hint: 'Choose a new path with --backup-file.' });
  }
  const handle = await fs.open(file, 'wx', 0o600);
  await handle.close();
  try {
    const rows = await ctx.db.withClient(async (c) => {
      // pg_dump reads the very snapshot the counts come from, so they describe exactly what the archive holds.
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const snapshot = (await c.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0]!.s;
      onLog(`counting the rows of every table in the snapshot pg_dump reads (${snapshot}) ...`);
      const counts = await rowCounts(c);
      onLog('pg_dump is writing the archive ...');
      await runPgTool(pgDumpArgv(ctx.db.args, file, snapshot), ctx.db.args, signal);
      await c.query('COMMIT');
      return counts;
    });
    for (const t of EXCLUDED_DATA) if (t in rows) rows[t] = 0;
    const manifest: BackupManifest = { database: ctx.db.args.dbname, madeAt: new Date().toISOString(), excludedData: EXCLUDED_DATA, rows };
    await fs.writeFile(manifestPath(file), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    const bytes = (await fs.stat(file)).size;
    return { bytes, tables: Object.keys(rows).length, rows: Object.values(rows).reduce((a, b) => a + b, 0) };
  } catch (e) {
    await fs.rm(file, { force: true });
    throw e;
  }
}

export async function readManifest(file: string): Promise<BackupManifest | undefined> {
  try {
    return JSON.parse(await fs.readFile(manifestPath(file), 'utf8')) as BackupManifest;
  } catch {
    return undefined;
  }
}

/** pg_restore --list reads the whole table of contents: every table is there, with data except the excluded ones. */
export async function checkBackup(file: string, signal: AbortSignal): Promise<{ ok: boolean; message: string; tables: number }> {
  if (!existsSync(file)) return { ok: false, message: `${file} does not exist.`, tables: 0 };
  const list = parseRestoreList((await runPgTool(pgRestoreListArgv(file), undefined, signal, 600_000)).stdout);
  const tables = list.filter((e) => e.kind === 'TABLE').map((e) => e.table);
  const data = new Set(list.filter((e) => e.kind === 'TABLE DATA').map((e) => e.table));
  const manifest = await readManifest(file);
  const problems: string[] = [];
  if (!tables.length) problems.push('the archive lists no tables');
  for (const t of EXCLUDED_DATA) if (data.has(t)) problems.push(`the data of ${t} is in the archive`);
  if (manifest) {
    const missing = Object.keys(manifest.rows).filter((t) => !tables.includes(t));
    if (missing.length) problems.push(`tables missing from the archive: ${missing.slice(0, 5).join(', ')}`);
    const noData = Object.keys(manifest.rows).filter((t) => !EXCLUDED_DATA.includes(t) && !data.has(t));
    if (noData.length) problems.push(`table data missing from the archive: ${noData.slice(0, 5).join(', ')}`);
  }
  if (problems.length) return { ok: false, message: problems.join('; ') + '.', tables: tables.length };
  return { ok: true, message: `pg_restore --list reads ${tables.length} tables, ${data.size} with data${EXCLUDED_DATA.map((t) => ` (${t}: structure only)`).join('')}.`, tables: tables.length };
}
