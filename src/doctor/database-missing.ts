// 'database "synapse" does not exist': the database in database.args was never created; create it as Synapse needs it.
import { createDatabaseSql } from '../setup/steps/create-database.js';
import { requireDoctorAdmin } from './context.js';
import { dbRow } from './db-info.js';
import type { Diagnosis } from './types.js';

export const databaseMissing: Diagnosis = {
  id: 'database-missing',
  rank: 38,
  title: "Synapse's database does not exist",
  patterns: [/database "[^"]+" does not exist/],
  async diagnose(ctx) {
    if (!ctx.onPostgres || (await dbRow(ctx))) return undefined;
    const sql = createDatabaseSql(ctx.target.dbname, ctx.target.user);
    return {
      id: this.id,
      title: this.title,
      evidence: `database.args names database ${ctx.target.dbname}, and pg_database has none.`,
      cause: 'The database was never created, or it was dropped.',
      fix: `create ${ctx.target.dbname}: UTF8, COLLATE and CTYPE 'C', from template0, owned by ${ctx.target.user}`,
      needsSynapseStopped: false,
      plan: [{ kind: 'sql', sql }],
      apply: async () => {
        await requireDoctorAdmin(ctx).exec(sql);
        return `Created database ${ctx.target.dbname}.`;
      },
    };
  },
  fromText: () => ({ cause: 'The database named in database.args does not exist.', fix: "create it with CREATE DATABASE ... TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' OWNER the role" }),
};
