// Phase 2: point Synapse at PostgreSQL. One file: homeserver.yaml -> homeserver-old-sqlite.yaml, homeserver-postgres.yaml -> homeserver.yaml.
// Several files (Debian's conf.d): only the file holding `database` is rewritten, with a backup.
import { basename, dirname, join } from 'node:path';
import { backupFile, copyOwnership, exists, fileOwnership, isSymlink, listDir, readText, readTextOrUndefined, removeFile, renameFile, writeFileAtomic } from '../../adapters/files.js';
import { setDatabaseSection } from '../../config/database-block.js';
import { loadConfig, type ConfigFile, type LoadedConfig } from '../../config/load.js';
import { unifiedDiff } from '../../core/diff.js';
import type { Step } from '../../core/step.js';
import type { CutoverContext } from '../context.js';
import { postgresSection } from './postgres-config.js';

export interface SwapData {
  /** The file that was rewritten, and where its SQLite version is kept. */
  file: string;
  sqliteCopy: string;
}

function single(ctx: CutoverContext): boolean {
  return ctx.config.files.length === 1;
}

/** The file whose `database` Synapse uses (or the main file when none sets it). */
function targetFile(ctx: CutoverContext): ConfigFile {
  return ctx.config.databaseFile ?? ctx.config.files[0]!;
}

async function current(path: string): Promise<string> {
  return readText(path);
}

async function sqliteVersionOnDisk(ctx: CutoverContext): Promise<SwapData | undefined> {
  return findSqliteVersion(ctx.config, ctx.paths.oldSqliteConfig);
}

/** Where the swap kept the SQLite version of the config: homeserver-old-sqlite.yaml, or the newest backup of the rewritten file. */
export async function findSqliteVersion(config: LoadedConfig, oldSqliteConfig: string): Promise<SwapData | undefined> {
  const file = (config.databaseFile ?? config.files[0]!).path;
  if (config.files.length === 1) return (await exists(oldSqliteConfig)) ? { file, sqliteCopy: oldSqliteConfig } : undefined;
  const dir = dirname(file);
  const prefix = `${basename(file)}.synapse-pg-`;
  const backups = (await listDir(dir)).filter((f) => f.startsWith(prefix) && f.endsWith('.bak')).sort();
  return backups.length ? { file, sqliteCopy: join(dir, backups[backups.length - 1]!) } : undefined;
}

export async function onPostgres(ctx: CutoverContext): Promise<boolean> {
  const loaded = await loadConfig(ctx.config.files.map((f) => f.path));
  return loaded.database?.name === 'psycopg2' && String(loaded.database.args?.dbname) === ctx.opts.setup.dbName;
}

export const swapConfig: Step<CutoverContext> = {
  id: 'swap-config',
  title: 'Switch the config to PostgreSQL',
  why: 'Synapse reads its database from the config; the SQLite version is kept beside it for a rollback.',
  async check(ctx, sc) {
    if (await onPostgres(ctx)) {
      // Killed right after the swap, before the journal said so: find the SQLite version on disk, so a rollback can use it.
      ctx.stepData['swap-config'] ??= await sqliteVersionOnDisk(ctx);
      return { status: 'done', message: 'The config already points Synapse at PostgreSQL.' };
    }
    const file = targetFile(ctx).path;
    const old = await current(file);
    const next = setDatabaseSection(old, postgresSection(ctx, sc.dryRun));
    const plan = single(ctx)
      ? [{ kind: 'note' as const, text: `mv ${file} ${ctx.paths.oldSqliteConfig} (kept as a copy); mv ${ctx.paths.postgresConfig} ${file}` }]
      : [{ kind: 'note' as const, text: `backup of ${file} first` }];
    return { status: 'needed', message: `Point ${file} at PostgreSQL.`, plan: [...plan, { kind: 'file', path: file, diff: unifiedDiff(old, next, file) }] };
  },
  async apply(ctx) {
    const file = targetFile(ctx).path;
    const old = await current(file);
    const next = setDatabaseSection(old, postgresSection(ctx));
    let sqliteCopy: string;
    if (single(ctx)) {
      // Copy first, then one atomic rename over homeserver.yaml: at every moment homeserver.yaml is whole, old or new.
      sqliteCopy = ctx.paths.oldSqliteConfig;
      await writeFileAtomic(sqliteCopy, old);
      const st = await fileOwnership(file);
      await copyOwnership(sqliteCopy, st);
      if (await isSymlink(file)) {
        // a symlinked config is written at its target (the link stays), atomically within the target's own directory
        await writeFileAtomic(file, next, { mode: st.mode & 0o7777, forceMode: true, uid: st.uid, gid: st.gid });
        await removeFile(ctx.paths.postgresConfig);
      } else {
        const pg = await readTextOrUndefined(ctx.paths.postgresConfig);
        if (pg !== next) await writeFileAtomic(ctx.paths.postgresConfig, next, { mode: st.mode & 0o7777, forceMode: true, uid: st.uid, gid: st.gid });
        await renameFile(ctx.paths.postgresConfig, file);
      }
    } else {
      sqliteCopy = await backupFile(file);
      await writeFileAtomic(file, next);
      // The merged copy was only for synapse_port_db; it holds every secret of the config, so it does not stay around.
      await removeFile(ctx.paths.postgresConfig);
    }
    ctx.stepData['swap-config'] = { file, sqliteCopy } satisfies SwapData;
    return single(ctx) ? `${file} now uses PostgreSQL; the SQLite version is ${sqliteCopy}.` : `Rewrote the database section of ${file} (backup ${sqliteCopy}).`;
  },
  async verify(ctx) {
    return (await onPostgres(ctx)) ? { ok: true, message: `Synapse's merged config uses PostgreSQL database ${ctx.opts.setup.dbName}.` } : { ok: false, message: 'the merged config does not use PostgreSQL.' };
  },
};
