// database.name must be Synapse's connector name: psycopg2 (or sqlite3). "postgres", "postgresql" or "pg" make Synapse
// refuse to start ("Unsupported database engine 'postgresql'").
import { applyDatabaseEdit, planDatabaseEdit } from './config-edit.js';
import { databaseArgs } from './probe.js';
import type { Diagnosis } from './types.js';

const POSTGRES_LIKE = /^(postgres|postgresql|pg|psycopg|psycopg3|pgsql|postgre)$/i;

export const engineName: Diagnosis = {
  id: 'database-engine-name',
  rank: 11,
  title: "database.name is not a connector Synapse knows (it must use the 'psycopg2' connector)",
  patterns: [/Unsupported database engine/],
  canCheck: (ctx) => !!ctx.config,
  async diagnose(ctx) {
    const name = ctx.config?.database?.name;
    if (name === undefined || name === 'psycopg2' || name === 'sqlite3') return undefined;
    const args = databaseArgs(ctx);
    const pgLike = POSTGRES_LIKE.test(String(name)) || ['host', 'user', 'dbname', 'database'].some((k) => args?.[k] !== undefined);
    const edit = pgLike ? planDatabaseEdit(ctx, (db) => ({ ...db, name: 'psycopg2' })) : undefined;
    return {
      id: this.id,
      title: this.title,
      evidence: `${ctx.config?.databaseFile?.path ?? 'The config'} has database.name: ${String(name)}; Synapse accepts only psycopg2 (PostgreSQL) and sqlite3, and stops with "Unsupported database engine '${String(name)}'".`,
      cause: 'The connector name is the Python driver Synapse loads, not the name of the database product.',
      fix: edit ? 'set database.name: psycopg2 (the arguments stay), then restart Synapse' : 'set database.name to psycopg2 (PostgreSQL) or sqlite3',
      needsSynapseStopped: false,
      restartSynapse: !!edit,
      plan: edit ? [edit.action] : [],
      apply: edit
        ? async () => {
            const done = await applyDatabaseEdit(ctx, edit);
            ctx.onPostgres = true;
            return done;
          }
        : undefined,
    };
  },
  fromText: () => ({ cause: "database.name is not psycopg2 or sqlite3.", fix: 'set database.name: psycopg2' }),
};
