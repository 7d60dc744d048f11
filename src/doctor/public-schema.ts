// FAILURES 5: "permission denied for schema public" -- since PostgreSQL 15 only the database owner may create in public.
import { quoteIdent, quoteLiteral } from '../pg/identifiers.js';
import { requireDoctorAdmin } from './context.js';
import { dbRow } from './db-info.js';
import type { Diagnosis } from './types.js';

export const publicSchema: Diagnosis = {
  id: 'public-schema-permission',
  rank: 55,
  title: 'Synapse may not create tables in the public schema',
  patterns: [/permission denied for schema public/, /must be owner of (table|database)/],
  async diagnose(ctx) {
    if (!ctx.onPostgres) return undefined;
    const row = await dbRow(ctx);
    if (!row) return undefined;
    const admin = requireDoctorAdmin(ctx);
    // A missing role is its own finding, fixed first; the owner still has to change after it.
    const exists = (await admin.query(`SELECT 1 FROM pg_roles WHERE rolname = ${quoteLiteral(ctx.target.user)}`)).length > 0;
    const [p] = await admin.query<{ can: boolean | null; schema_owner: string }>(
      `SELECT ${exists ? `has_schema_privilege(${quoteLiteral(ctx.target.user)}, 'public', 'CREATE')` : 'NULL::boolean'} AS can, pg_get_userbyid(nspowner) AS schema_owner FROM pg_namespace WHERE nspname = 'public'`,
      ctx.target.dbname,
    );
    if (row.owner === ctx.target.user && p?.can !== false) return undefined;
    if (!exists && row.owner === ctx.target.user) return undefined;
    const sql = `ALTER DATABASE ${quoteIdent(ctx.target.dbname)} OWNER TO ${quoteIdent(ctx.target.user)}`;
    const schemaToo = p && p.schema_owner !== 'pg_database_owner' && p.schema_owner !== ctx.target.user;
    const all = schemaToo ? `${sql}; ALTER SCHEMA public OWNER TO ${quoteIdent(ctx.target.user)}` : sql;
    return {
      id: this.id,
      title: this.title,
      evidence: `Database ${ctx.target.dbname} is owned by ${row.owner}; public schema owned by ${p?.schema_owner ?? '?'}; ${exists ? `has_schema_privilege(${ctx.target.user}, 'public', 'CREATE') is ${p?.can}` : `role ${ctx.target.user} does not exist yet`}.`,
      cause: 'PostgreSQL 15 and later give CREATE on the public schema only to the database owner (pg_database_owner); Synapse creates and alters its tables there.',
      fix: `make ${ctx.target.user} the owner: ${all}`,
      needsSynapseStopped: false,
      plan: [{ kind: 'sql', sql: sql }, ...(schemaToo ? [{ kind: 'sql' as const, sql: 'ALTER SCHEMA public OWNER TO ' + quoteIdent(ctx.target.user), database: ctx.target.dbname }] : [])],
      apply: async () => {
        await admin.exec(sql);
        if (schemaToo) await admin.exec(`ALTER SCHEMA public OWNER TO ${quoteIdent(ctx.target.user)}`, ctx.target.dbname);
        return `${ctx.target.user} now owns ${ctx.target.dbname}.`;
      },
      verify: async () => {
        await admin.exec(`BEGIN; SET LOCAL ROLE ${quoteIdent(ctx.target.user)}; CREATE TABLE public.synapse_pg_doctor_probe (id int); ROLLBACK;`, ctx.target.dbname);
        return `As ${ctx.target.user}, CREATE TABLE in public works (rolled back).`;
      },
    };
  },
  fromText: () => ({ cause: 'On PostgreSQL 15+ only the database owner may create tables in public.', fix: 'ALTER DATABASE db OWNER TO the Synapse role' }),
};
