// FAILURES 4 and 3: the role Synapse logs in as is missing, or its password is not the one in database.args.
import { quoteIdent, quoteLiteral } from '../pg/identifiers.js';
import { scramVerifier, md5Verifier, verifierMatches } from '../pg/scram.js';
import { requireDoctorAdmin, type DoctorContext } from './context.js';
import { loginProof } from './login.js';
import type { Diagnosis, Finding } from './types.js';

interface RoleRow {
  rolcanlogin: boolean;
  rolpassword: string | null;
}

async function role(ctx: DoctorContext): Promise<RoleRow | undefined> {
  const [r] = await requireDoctorAdmin(ctx).query<RoleRow>(`SELECT rolcanlogin, rolpassword FROM pg_authid WHERE rolname = ${quoteLiteral(ctx.target.user)}`);
  return r;
}

function verifier(ctx: DoctorContext): string {
  const pw = ctx.target.password!;
  return ctx.setup.server?.passwordEncryption === 'md5' ? md5Verifier(pw, ctx.target.user) : scramVerifier(pw);
}

function shown(verb: string, ctx: DoctorContext): string {
  return `${verb} ROLE ${quoteIdent(ctx.target.user)} LOGIN PASSWORD '<verifier of the password in database.args, computed by the doctor>'`;
}

export const roleMissing: Diagnosis = {
  id: 'role-missing',
  rank: 30,
  title: "Synapse's database role does not exist",
  patterns: [/role "[^"]+" does not exist/],
  async diagnose(ctx) {
    if (!ctx.onPostgres || ctx.target.password === undefined) return undefined;
    if (await role(ctx)) return undefined;
    const f: Finding = {
      id: this.id,
      title: this.title,
      evidence: `database.args names user ${ctx.target.user}, and pg_authid has no such role.`,
      cause: 'The role was never created (createdb --owner before createuser, or a hyphenated name left unquoted).',
      fix: `create the role ${ctx.target.user} with the password from database.args (identifier quoted)`,
      needsSynapseStopped: false,
      plan: [{ kind: 'sql', sql: shown('CREATE', ctx) }],
      apply: async () => {
        await requireDoctorAdmin(ctx).exec(`CREATE ROLE ${quoteIdent(ctx.target.user)} LOGIN PASSWORD ${quoteLiteral(verifier(ctx))}`);
        return `Created role ${ctx.target.user}.`;
      },
    };
    return f;
  },
  fromText: () => ({ cause: 'The role named in database.args does not exist.', fix: 'create it first (CREATE ROLE "name" LOGIN PASSWORD ...; quote the name), then the database owned by it' }),
};

export const rolePassword: Diagnosis = {
  id: 'role-password',
  rank: 35,
  title: "The role's password is not the one in database.args",
  patterns: [/password authentication failed for user/],
  async diagnose(ctx) {
    if (!ctx.onPostgres || ctx.target.password === undefined) return undefined;
    const r = await role(ctx);
    if (!r) return undefined;
    if (r.rolcanlogin && verifierMatches(r.rolpassword, ctx.target.password, ctx.target.user)) return undefined;
    const why = !r.rolcanlogin ? 'the role may not log in (NOLOGIN)' : r.rolpassword ? 'the stored verifier in pg_authid does not match the password in database.args' : 'the role has no password at all';
    return {
      id: this.id,
      title: this.title,
      evidence: `Role ${ctx.target.user} exists, but ${why}.`,
      cause: 'The password was set elsewhere; in Docker the postgres image applies POSTGRES_PASSWORD only when its volume is first initialised.',
      fix: `set the password of ${ctx.target.user} to the one in database.args with ALTER ROLE`,
      needsSynapseStopped: false,
      plan: [{ kind: 'sql', sql: shown('ALTER', ctx) }],
      apply: async () => {
        await requireDoctorAdmin(ctx).exec(`ALTER ROLE ${quoteIdent(ctx.target.user)} LOGIN PASSWORD ${quoteLiteral(verifier(ctx))}`);
        return `Set the password of ${ctx.target.user} from database.args.`;
      },
      verify: () => loginProof(ctx),
    };
  },
  fromText: () => ({ cause: "The password in database.args is not the role's (Docker: POSTGRES_PASSWORD only applies on the first init of the volume).", fix: 'set it with ALTER ROLE ... PASSWORD, or recreate the volume' }),
};
