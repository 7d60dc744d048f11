// Restore goes into a fresh database made with setup's rules (UTF8, C locale, template0, owned by Synapse's role), never over an existing one.
import { exists, requireRegularFile } from '../../adapters/files.js';
import { runArgv } from '../../adapters/exec.js';
import { resolve } from 'node:path';
import type { Step } from '../../core/step.js';
import { quoteIdent, quoteLiteral } from '../../pg/identifiers.js';
import { validateIdentifier } from '../../pg/identifiers.js';
import { createDatabaseSql, localeProblems } from '../../setup/steps/create-database.js';
import type { MaintainContext } from '../context.js';

interface DbRow {
  encoding: string;
  collate: string;
  ctype: string;
  owner: string;
  comment: string | null;
}

/**
 * A restore marks its database while pg_restore runs (COMMENT ON DATABASE), and clears the mark once the rows are proven: a
 * database that still carries the mark is a restore of this wizard that a kill cut short, which the next run may start over.
 */
export function restoreMark(file: string): string {
  return `synapse-pg: restore of ${file} in progress`;
}

function markSql(name: string, file: string): string {
  return `COMMENT ON DATABASE ${quoteIdent(name)} IS ${quoteLiteral(restoreMark(file))}`;
}

export async function targetRow(ctx: MaintainContext, name: string): Promise<DbRow | undefined> {
  const [row] = await ctx.admin!.query<DbRow>(
    `SELECT pg_encoding_to_char(d.encoding) AS encoding, d.datcollate AS collate, d.datctype AS ctype, r.rolname AS owner,
            shobj_description(d.oid, 'pg_database') AS comment
       FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = ${quoteLiteral(name)}`,
  );
  return row;
}

export const restoreTarget: Step<MaintainContext> = {
  id: 'restore-target',
  title: 'Create the database to restore into',
  why: 'Restoring over a live database would mix two histories; a fresh one can be checked, then switched to or dropped.',
  async gather(ctx, _sc, ask) {
    const file = ctx.opts.backupFile ?? (await ask?.text({ message: 'Which backup (pg_dump -Fc file) should be restored?' }));
    ctx.found.backupFile = file ? resolve(file) : undefined;
    if (!file || !(await exists(resolve(file)))) return;
    const name = ctx.opts.restoreDb ?? (await ask?.text({ message: 'Name of the new database to restore into', initial: `${ctx.db.args.dbname}_restored` }));
    ctx.found.restoreDb = name ? validateIdentifier('database', name, '--restore-db') : undefined;
  },
  async check(ctx) {
    const file = ctx.found.backupFile as string | undefined;
    if (!file) return { status: 'blocked', message: 'No backup file was named.', hint: 'Pass --backup-file PATH (a file written by synapse-pg maintain backup or pg_dump -Fc).' };
    if (!(await exists(file))) return { status: 'blocked', message: `${file} does not exist.`, hint: 'Pass the path of an existing backup with --backup-file.' };
    // before any database is made: the file must be an archive pg_restore can read (its table of contents), else nothing is created
    await requireRegularFile(file, 'backup file');
    const toc = await runArgv(['pg_restore', '--list', file], { timeoutMs: 120_000 });
    if (toc.spawnError) return { status: 'blocked', message: `pg_restore could not be started: ${toc.spawnError}`, hint: 'Install the PostgreSQL client tools: apt-get install postgresql-client' };
    if (toc.exitCode !== 0) return { status: 'blocked', message: `${file} is not a backup pg_restore can read: ${toc.stderr.trim().split('\n').pop() ?? `exit code ${toc.exitCode}`}. Nothing was created.`, hint: 'Pass a file written by synapse-pg maintain backup or pg_dump -Fc (a plain SQL dump is restored with psql instead).' };
    const name = ctx.found.restoreDb as string | undefined;
    if (!name) return { status: 'blocked', message: 'No database to restore into was named.', hint: 'Pass --restore-db NAME (a database that does not exist yet).' };
    const existing = await targetRow(ctx, name);
    if (existing?.comment === restoreMark(file)) {
      ctx.found.restartRestore = true;
      const sql = `DROP DATABASE ${quoteIdent(name)} WITH (FORCE); ${createDatabaseSql(name, ctx.db.args.user)}; ${markSql(name, file)}`;
      return { status: 'needed', message: `Database ${name} holds a restore of ${file} that an earlier run did not finish (it still carries the wizard's mark); it is dropped and the restore starts over.`, plan: [{ kind: 'sql', sql }], confirm: `Drop the half-restored database ${name} and restore ${file} into a new one?` };
    }
    if (existing) {
      return { status: 'blocked', message: `Database ${name} exists already; a restore never goes over an existing database.`, hint: `Pick a new name with --restore-db, or drop ${name} yourself if you are sure it holds nothing you need.` };
    }
    const sql = `${createDatabaseSql(name, ctx.db.args.user)}; ${markSql(name, file)}`;
    return { status: 'needed', message: `Database ${name} does not exist yet.`, plan: [{ kind: 'sql', sql }], confirm: `Create database ${name} and restore ${file} into it?` };
  },
  async apply(ctx) {
    const name = ctx.found.restoreDb as string;
    const file = ctx.found.backupFile as string;
    if (ctx.found.restartRestore) await ctx.admin!.exec(`DROP DATABASE ${quoteIdent(name)} WITH (FORCE)`);
    await ctx.admin!.exec(createDatabaseSql(name, ctx.db.args.user));
    await ctx.admin!.exec(markSql(name, file));
    return `${ctx.found.restartRestore ? 'Dropped the half-restored database and created' : 'Created'} database ${name}, marked as a restore in progress.`;
  },
  async verify(ctx) {
    const name = ctx.found.restoreDb as string;
    const row = await targetRow(ctx, name);
    if (!row) return { ok: false, message: `${name} is not in pg_database.` };
    const problems = localeProblems(row);
    if (problems.length) return { ok: false, message: problems.join('; ') };
    if (row.owner !== ctx.db.args.user) return { ok: false, message: `owned by ${row.owner}, not ${ctx.db.args.user}.` };
    return { ok: true, message: `UTF8, COLLATE C, CTYPE C, owner ${row.owner}.` };
  },
};
