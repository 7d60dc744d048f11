// FAILURES 4 and 3: the role Synapse logs in as is missing, or its password is not the one in database.args.
import { rolePasswordSql, roleRow, shownRolePasswordSql } from '../pg/role.js';
import { verifierMatches } from '../pg/scram.js';
import { requireDoctorAdmin, type DoctorContext } from './context.js';
import { loginProof } from './login.js';
import type { Diagnosis, Finding } from './types.js';
import { ERROR_TEXTS } from '../synapse/known-errors.js';

const role = (ctx: DoctorContext) => roleRow(requireDoctorAdmin(ctx), ctx.target.user);

const passwordSql = (verb: 'CREATE' | 'ALTER', ctx: DoctorContext) => rolePasswordSql(verb, ctx.target.user, ctx.target.password!, ctx.setup.server?.passwordEncryption);

const shown = (verb: 'CREATE' | 'ALTER', ctx: DoctorContext) => shownRolePasswordSql(verb, ctx.target.user, 'verifier of the password in database.args, computed by the doctor');

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
        await requireDoctorAdmin(ctx).exec(passwordSql('CREATE', ctx));
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
  patterns: ERROR_TEXTS.passwordFailed,
  async diagnose(ctx) {
    if (!ctx.onPostgres || ctx.target.password === undefined) return undefined;
    const r = await role(ctx);
    if (!r) return undefined;
    // NOLOGIN is its own finding (role-nologin): the password may well be right
    if (!r.rolcanlogin || verifierMatches(r.rolpassword, ctx.target.password, ctx.target.user)) return undefined;
    const why = r.rolpassword ? 'the stored verifier in pg_authid does not match the password in database.args' : 'the role has no password at all';
    return {
      id: this.id,
      title: this.title,
      evidence: `Role ${ctx.target.user} exists, but ${why}.`,
      cause: 'The password was set elsewhere; in Docker the postgres image applies POSTGRES_PASSWORD only when its volume is first initialised.',
      fix: `set the password of ${ctx.target.user} to the one in database.args with ALTER ROLE`,
      needsSynapseStopped: false,
      plan: [{ kind: 'sql', sql: shown('ALTER', ctx) }],
      apply: async () => {
        await requireDoctorAdmin(ctx).exec(passwordSql('ALTER', ctx));
        return `Set the password of ${ctx.target.user} from database.args.`;
      },
      verify: () => loginProof(ctx),
    };
  },
  fromText: () => ({ cause: "The password in database.args is not the role's (Docker: POSTGRES_PASSWORD only applies on the first init of the volume).", fix: 'set it with ALTER ROLE ... PASSWORD, or recreate the volume' }),
};
