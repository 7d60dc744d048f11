// Why Synapse's login is refused, read from the server's state and confirmed by the probe's SQLSTATE (never by message text,
// which is translated): CONNECT revoked (42501), password expired (28P01 + rolvaliduntil), NOLOGIN (28000), connection limits (53300).
import { quoteIdent, quoteLiteral } from '../pg/identifiers.js';
import { requireDoctorAdmin, type DoctorContext } from './context.js';
import { describeProbe } from '../adapters/synapse-probe.js';
import { poolMax, probeFailedWith } from './probe.js';
import type { Diagnosis, Finding } from './types.js';

interface RoleState {
  rolcanlogin: boolean;
  rolsuper: boolean;
  rolconnlimit: number;
  valid_until: string | null;
  expired: boolean;
  role_conns: number;
}

interface DbState {
  connect: boolean;
  datconnlimit: number;
  datallowconn: boolean;
  db_conns: number;
}

async function roleState(ctx: DoctorContext): Promise<RoleState | undefined> {
  const [r] = await requireDoctorAdmin(ctx).query<RoleState>(
    `SELECT rolcanlogin, rolsuper, rolconnlimit, rolvaliduntil::text AS valid_until, coalesce(rolvaliduntil < now(), false) AS expired,
            (SELECT count(*) FROM pg_stat_activity a WHERE a.usename = r.rolname)::int AS role_conns
       FROM pg_roles r WHERE rolname = ${quoteLiteral(ctx.target.user)}`,
  );
  return r;
}

async function dbState(ctx: DoctorContext): Promise<DbState | undefined> {
  const [r] = await requireDoctorAdmin(ctx).query<DbState>(
    `SELECT has_database_privilege(${quoteLiteral(ctx.target.user)}, d.oid, 'CONNECT') AS connect, d.datconnlimit, d.datallowconn,
            (SELECT count(*) FROM pg_stat_activity a WHERE a.datname = d.datname)::int AS db_conns
       FROM pg_database d WHERE datname = ${quoteLiteral(ctx.target.dbname)} AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${quoteLiteral(ctx.target.user)})`,
  );
  return r;
}

/** What the probe saw, when it failed with one of `codes`: the SQLSTATE confirms the state the admin connection read. */
function seen(ctx: DoctorContext, ...codes: string[]): string {
  return probeFailedWith(ctx, ...codes) ? ` Connecting as Synapse does: ${describeProbe(ctx.probe!)}` : '';
}

const applies = (ctx: DoctorContext) => ctx.onPostgres;

function finding(d: Diagnosis, f: Omit<Finding, 'id' | 'title' | 'needsSynapseStopped'>): Finding {
  return { id: d.id, title: d.title, needsSynapseStopped: false, ...f };
}

export const connectRevoked: Diagnosis = {
  id: 'connect-revoked',
  rank: 32,
  title: 'Synapse\'s role may not connect to its database (CONNECT privilege)',
  patterns: [/permission denied for database/],
  async diagnose(ctx) {
    if (!applies(ctx)) return undefined;
    const db = await dbState(ctx);
    if (!db || db.connect) return undefined;
    const sql = `GRANT CONNECT ON DATABASE ${quoteIdent(ctx.target.dbname)} TO ${quoteIdent(ctx.target.user)}`;
    return finding(this, {
      evidence: `has_database_privilege('${ctx.target.user}', '${ctx.target.dbname}', 'CONNECT') is false.${seen(ctx, '42501')}`,
      cause: 'The CONNECT privilege on the database was revoked (REVOKE CONNECT ... FROM PUBLIC, often as "hardening"), and Synapse\'s role was not granted it back; the server refuses the login with SQLSTATE 42501.',
      fix: sql,
      plan: [{ kind: 'sql', sql }],
      apply: async () => {
        await requireDoctorAdmin(ctx).exec(sql);
        return `Granted CONNECT on ${ctx.target.dbname} to ${ctx.target.user}.`;
      },
    });
  },
  fromText: () => ({ cause: 'The role lacks the CONNECT privilege on the database.', fix: 'GRANT CONNECT ON DATABASE "synapse" TO "synapse_user"' }),
};

export const roleExpired: Diagnosis = {
  id: 'role-expired',
  rank: 33,
  title: "The password of Synapse's role has expired (VALID UNTIL)",
  patterns: [],
  async diagnose(ctx) {
    if (!applies(ctx)) return undefined;
    const r = await roleState(ctx);
    if (!r || !r.expired) return undefined;
    const sql = `ALTER ROLE ${quoteIdent(ctx.target.user)} VALID UNTIL 'infinity'`;
    return finding(this, {
      evidence: `pg_roles.rolvaliduntil of ${ctx.target.user} is ${r.valid_until}, in the past.${seen(ctx, '28P01')}`,
      cause: 'After VALID UNTIL the server refuses password logins with the same error as a wrong password (SQLSTATE 28P01), so the password in database.args looks wrong although it is right.',
      fix: `${sql} (or a later date you choose, and a reminder to renew it)`,
      plan: [{ kind: 'sql', sql }],
      apply: async () => {
        await requireDoctorAdmin(ctx).exec(sql);
        return `The password of ${ctx.target.user} no longer expires.`;
      },
    });
  },
};

export const roleNologin: Diagnosis = {
  id: 'role-nologin',
  rank: 31,
  title: "Synapse's role may not log in (NOLOGIN)",
  patterns: [/is not permitted to log in/],
  async diagnose(ctx) {
    if (!applies(ctx)) return undefined;
    const r = await roleState(ctx);
    if (!r || r.rolcanlogin) return undefined;
    const sql = `ALTER ROLE ${quoteIdent(ctx.target.user)} LOGIN`;
    return finding(this, {
      evidence: `pg_roles.rolcanlogin of ${ctx.target.user} is false.${seen(ctx, '28000')}`,
      cause: 'The role was created with CREATE ROLE (NOLOGIN is its default) or altered to NOLOGIN; the server refuses it with SQLSTATE 28000 whatever the password.',
      fix: sql,
      plan: [{ kind: 'sql', sql }],
      apply: async () => {
        await requireDoctorAdmin(ctx).exec(sql);
        return `${ctx.target.user} may log in.`;
      },
    });
  },
  fromText: () => ({ cause: 'The role is NOLOGIN.', fix: 'ALTER ROLE "synapse_user" LOGIN' }),
};

export const connectionLimit: Diagnosis = {
  id: 'connection-limit',
  rank: 34,
  title: "A connection limit on Synapse's role or database is below its pool",
  patterns: [/too many connections for (role|database)/],
  async diagnose(ctx) {
    if (!applies(ctx)) return undefined;
    const r = await roleState(ctx);
    const db = await dbState(ctx);
    const pool = poolMax(ctx);
    const sqls: string[] = [];
    const what: string[] = [];
    if (r && !r.rolsuper && r.rolconnlimit >= 0 && r.rolconnlimit < pool) {
      sqls.push(`ALTER ROLE ${quoteIdent(ctx.target.user)} CONNECTION LIMIT -1`);
      what.push(`pg_roles.rolconnlimit of ${ctx.target.user} is ${r.rolconnlimit} (${r.role_conns} in use)`);
    }
    if (db && db.datconnlimit >= 0 && db.datconnlimit < pool) {
      sqls.push(`ALTER DATABASE ${quoteIdent(ctx.target.dbname)} CONNECTION LIMIT -1`);
      what.push(`pg_database.datconnlimit of ${ctx.target.dbname} is ${db.datconnlimit} (${db.db_conns} in use)`);
    }
    if (!sqls.length) return undefined;
    return finding(this, {
      evidence: `${what.join('; ')}, while Synapse's pool opens up to ${pool} connections (cp_max).${seen(ctx, '53300')}`,
      cause: 'CONNECTION LIMIT caps the logins of a role or a database; at the cap the server refuses new ones with SQLSTATE 53300 and Synapse fails its requests.',
      fix: sqls.join('; '),
      plan: sqls.map((sql) => ({ kind: 'sql' as const, sql })),
      apply: async () => {
        for (const sql of sqls) await requireDoctorAdmin(ctx).exec(sql);
        return 'Removed the connection limit.';
      },
    });
  },
};

export const LOGIN_STATE: Diagnosis[] = [roleNologin, connectRevoked, roleExpired, connectionLimit];
