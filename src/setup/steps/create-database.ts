// Step 4: the database, UTF8 with COLLATE and CTYPE exactly 'C' from template0, owned by Synapse's role.
import type { Step } from '../../core/step.js';
import { quoteIdent, quoteLiteral } from '../../pg/identifiers.js';
import { requireAdmin, type SetupContext } from '../context.js';

interface DbRow {
  encoding: string;
  collate: string;
  ctype: string;
  owner: string;
}

async function dbRow(ctx: SetupContext): Promise<DbRow | undefined> {
  const [row] = await requireAdmin(ctx).query<DbRow>(
    `SELECT pg_encoding_to_char(d.encoding) AS encoding, d.datcollate AS collate, d.datctype AS ctype, r.rolname AS owner
       FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = ${quoteLiteral(ctx.opts.dbName)}`,
  );
  return row;
}

export function createDatabaseSql(db: string, owner: string): string {
  return `CREATE DATABASE ${quoteIdent(db)} WITH OWNER ${quoteIdent(owner)} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`;
}

/** What is wrong with an existing database for Synapse, in Synapse's own terms. */
export function localeProblems(row: DbRow): string[] {
  const out: string[] = [];
  if (row.encoding !== 'UTF8') out.push(`encoding is ${row.encoding}, Synapse needs UTF8`);
  if (row.collate !== 'C') out.push(`COLLATE is '${row.collate}', Synapse needs 'C'${row.collate.startsWith('C.') ? ` ('${row.collate}' is not 'C')` : ''}`);
  if (row.ctype !== 'C') out.push(`CTYPE is '${row.ctype}', Synapse needs 'C'`);
  return out;
}

const grantConnectSql = (ctx: SetupContext) => `GRANT CONNECT ON DATABASE ${quoteIdent(ctx.opts.dbName)} TO ${quoteIdent(ctx.opts.dbUser)}`;

/** Whether Synapse's role holds CONNECT on the database (true while the role does not exist yet: it is made by then). */
async function mayConnect(ctx: SetupContext): Promise<boolean> {
  const [r] = await requireAdmin(ctx).query<{ ok: boolean }>(
    `SELECT has_database_privilege(${quoteLiteral(ctx.opts.dbUser)}, ${quoteLiteral(ctx.opts.dbName)}, 'CONNECT') AS ok WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${quoteLiteral(ctx.opts.dbUser)})`,
  );
  return r?.ok !== false;
}

async function tableCount(ctx: SetupContext): Promise<number> {
  const [r] = await requireAdmin(ctx).query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`, ctx.opts.dbName);
  return r?.n ?? 0;
}

export const createDatabase: Step<SetupContext> = {
  id: 'create-database',
  title: 'Create the database',
  why: "Synapse refuses a database whose encoding is not UTF8 or whose COLLATE/CTYPE is not exactly 'C'; only template0 lets you choose them.",
  async check(ctx) {
    const { dbName, dbUser } = ctx.opts;
    const row = await dbRow(ctx);
    if (!row) {
      return { status: 'needed', message: `Database ${dbName} does not exist yet.`, plan: [{ kind: 'sql', sql: createDatabaseSql(dbName, dbUser) }], confirm: `Create the database ${dbName} (UTF8, C locale) owned by ${dbUser}?` };
    }
    const problems = localeProblems(row);
    if (problems.length) {
      const tables = await tableCount(ctx);
      const hint = tables === 0
        ? `The database is empty: drop it (DROP DATABASE ${quoteIdent(dbName)};) and run setup again, or choose another name with --db-name.`
        : `It holds ${tables} table(s), so the wizard will not touch it. Run synapse-pg doctor for the safe path (stop Synapse, dump, recreate with the C locale, restore, verify), or set allow_unsafe_locale: true in database: knowing the risk of corrupt indexes.`;
      return { status: 'blocked', code: 'DB_WRONG_LOCALE', message: `Database ${dbName} exists but is not usable by Synapse: ${problems.join('; ')}.`, hint };
    }
    if (row.owner !== dbUser) {
      return { status: 'blocked', code: 'DB_WRONG_OWNER', message: `Database ${dbName} is owned by ${row.owner}, not by ${dbUser}; on PostgreSQL 15+ ${dbUser} then cannot create tables in the public schema.`, hint: `Make ${dbUser} the owner: ALTER DATABASE ${quoteIdent(dbName)} OWNER TO ${quoteIdent(dbUser)}; (or pass --db-user ${row.owner}).` };
    }
    if (!(await mayConnect(ctx))) {
      // REVOKE CONNECT ... FROM PUBLIC (and from the owner): the server refuses the login with 42501, which is not pg_hba.conf
      return { status: 'needed', message: `Database ${dbName} exists, but ${dbUser} lacks the CONNECT privilege on it (it was revoked).`, plan: [{ kind: 'sql', sql: grantConnectSql(ctx) }], confirm: `Grant ${dbUser} CONNECT on ${dbName}?` };
    }
    return { status: 'done', message: `Database ${dbName} exists: UTF8, COLLATE C, CTYPE C, owned by ${dbUser}.` };
  },
  async apply(ctx) {
    if (await dbRow(ctx)) {
      await requireAdmin(ctx).exec(grantConnectSql(ctx));
      return `Granted ${ctx.opts.dbUser} CONNECT on ${ctx.opts.dbName}.`;
    }
    await requireAdmin(ctx).exec(createDatabaseSql(ctx.opts.dbName, ctx.opts.dbUser));
    (ctx.created ??= {}).database = ctx.opts.dbName;
    return `Created database ${ctx.opts.dbName}.`;
  },
  async verify(ctx) {
    const row = await dbRow(ctx);
    if (!row) return { ok: false, message: `database ${ctx.opts.dbName} is not in pg_database.` };
    const problems = localeProblems(row);
    if (problems.length) return { ok: false, message: problems.join('; ') };
    if (row.owner !== ctx.opts.dbUser) return { ok: false, message: `owned by ${row.owner}.` };
    if (!(await mayConnect(ctx))) return { ok: false, message: `${ctx.opts.dbUser} lacks the CONNECT privilege on ${ctx.opts.dbName}.` };
    // Prove the role can create tables in public (PostgreSQL 15 took that right away from non-owners); nothing is kept.
    await requireAdmin(ctx).exec(
      `BEGIN; SET LOCAL ROLE ${quoteIdent(ctx.opts.dbUser)}; CREATE TABLE public.synapse_pg_wizard_probe (id int); ROLLBACK;`,
      ctx.opts.dbName,
    );
    return { ok: true, message: `UTF8, COLLATE C, CTYPE C, owner ${row.owner}, and ${ctx.opts.dbUser} can create tables in public.` };
  },
};
