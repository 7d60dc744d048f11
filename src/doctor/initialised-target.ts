// FAILURES 17: the PostgreSQL database a port goes into already holds Synapse's tables (Synapse was started on it first, or an old attempt).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { quoteIdent } from '../pg/identifiers.js';
import { createDatabaseSql } from '../setup/steps/create-database.js';
import { requireDoctorAdmin } from './context.js';
import { dbRow, rowCounts } from './db-info.js';
import type { Diagnosis } from './types.js';
import { ERROR_TEXTS } from '../synapse/known-errors.js';

export const initialisedTarget: Diagnosis = {
  id: 'port-target-not-empty',
  rank: 58,
  title: 'The database to port into is not empty',
  patterns: ERROR_TEXTS.targetNotEmpty,
  canCheck: (ctx) => !ctx.onPostgres && !!ctx.config && !ctx.adminError,
  async diagnose(ctx) {
    // Only while Synapse still runs on SQLite: on PostgreSQL this database is the live one.
    if (ctx.onPostgres || !ctx.config) return undefined;
    const journal = join(dirname(ctx.config.files[0]!.path), '.synapse-pg', 'cutover.json');
    if (existsSync(journal)) return undefined; // a cutover under way owns that database; it resumes there
    if (!(await dbRow(ctx))) return undefined;
    const counts = await rowCounts(ctx, ctx.target.dbname);
    const tables = Object.keys(counts);
    if (!tables.length) return undefined;
    const rows = Object.values(counts).reduce((a, b) => a + b, 0);
    const admin = requireDoctorAdmin(ctx);
    const [v] = tables.includes('schema_version') ? await admin.query<{ version: number }>('SELECT version FROM schema_version', ctx.target.dbname) : [];
    const db = quoteIdent(ctx.target.dbname);
    const create = createDatabaseSql(ctx.target.dbname, ctx.target.user);
    return {
      id: this.id,
      title: this.title,
      evidence: `The config still uses SQLite, and PostgreSQL database ${ctx.target.dbname} already holds ${tables.length} tables with ${rows} rows${v ? ` (Synapse schema version ${v.version}: Synapse was started on it)` : ''}.`,
      cause: 'synapse_port_db needs an empty database (or its own earlier run on the same snapshot); rows Synapse wrote itself collide with the ported ones (duplicate key, event_edges_event_id_fkey).',
      fix: `drop and recreate ${ctx.target.dbname} empty (UTF8, C locale, owned by ${ctx.target.user}), then run the cutover`,
      needsSynapseStopped: false,
      plan: [{ kind: 'sql', sql: `DROP DATABASE ${db} WITH (FORCE)` }, { kind: 'sql', sql: create }],
      apply: async () => {
        await admin.exec(`DROP DATABASE ${db} WITH (FORCE)`);
        await admin.exec(create);
        return `Dropped ${ctx.target.dbname} (${tables.length} tables, ${rows} rows) and created it empty.`;
      },
    };
  },
  fromText: () => ({ cause: 'The target database was not empty, or Synapse was started on it before the port.', fix: 'drop and recreate the target database; a port only resumes on the same snapshot lineage' }),
};
