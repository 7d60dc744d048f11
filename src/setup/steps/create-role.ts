// Step 3: the login role Synapse connects as, with a password stored as a SCRAM verifier computed here.
import { exists } from '../../adapters/files.js';
import { WizardError } from '../../core/errors.js';
import { registerSecret } from '../../core/redact.js';
import type { CheckResult, Step, VerifyResult } from '../../core/step.js';
import { quoteIdent, quoteLiteral } from '../../pg/identifiers.js';
import { loginAsSynapse } from '../../adapters/pg-login.js';
import { adminCanSetRole, grantToAdminSql, rolePasswordSql, roleRowAs, shownRolePasswordSql, type RoleRow } from '../../pg/role.js';
import { verifierMatches } from '../../pg/scram.js';
import { requireAdmin, synapseDbArgs, type SetupContext } from '../context.js';
import { generateAndSave, generatedPasswordPath, readPasswordFile, validatePassword } from '../password.js';

/** The statement as shown in plans: the verifier is left out, it is as good as a password hash. */
function shownSql(ctx: SetupContext, verb: 'CREATE' | 'ALTER'): string {
  const kind = ctx.server?.passwordEncryption === 'md5' ? 'md5' : 'SCRAM-SHA-256';
  return shownRolePasswordSql(verb, ctx.opts.dbUser, `${kind} verifier of the password, computed by the wizard`);
}

function passwordSql(ctx: SetupContext, verb: 'CREATE' | 'ALTER'): string {
  return rolePasswordSql(verb, ctx.opts.dbUser, ctx.password!, ctx.server?.passwordEncryption);
}

const roleOf = (ctx: SetupContext) => roleRowAs(requireAdmin(ctx), ctx.opts.dbUser, ctx.server?.superuser !== false);

type Proof = { is: 'match' } | { is: 'wrong' } | { is: 'unknown'; why: string };

/**
 * Whether the password is the role's: a superuser compares it with the stored verifier; a CREATEROLE admin cannot read
 * verifiers, so the role logs in (PostgreSQL authenticates before it looks up the database, so "database does not exist"
 * proves the password too). A login refused for another reason (pg_hba.conf, TLS) leaves it unknown here.
 */
async function passwordProof(ctx: SetupContext, row: RoleRow): Promise<Proof> {
  if (ctx.server?.superuser !== false) return verifierMatches(row.rolpassword, ctx.password!, ctx.opts.dbUser) ? { is: 'match' } : { is: 'wrong' };
  try {
    await loginAsSynapse(synapseDbArgs(ctx));
    return { is: 'match' };
  } catch (e) {
    const code = ((e as Error).cause as { code?: string } | undefined)?.code;
    if (code === '3D000') return { is: 'match' };
    if (code === '28P01') return { is: 'wrong' };
    return { is: 'unknown', why: (e as Error).message };
  }
}

/** A CREATEROLE admin that may not SET ROLE to Synapse's role yet (it cannot make it the database's owner without). */
async function grantNeeded(ctx: SetupContext): Promise<string | undefined> {
  const server = ctx.server;
  if (!server || server.superuser) return undefined;
  if (await adminCanSetRole(requireAdmin(ctx), ctx.opts.dbUser, server.versionNum)) return undefined;
  return grantToAdminSql(ctx.opts.dbUser, server.adminRole, server.versionNum);
}

/** When the role's password expired (VALID UNTIL in the past): the stored verifier still matches, but every login is refused. */
async function expiredAt(ctx: SetupContext): Promise<string | undefined> {
  const [r] = await requireAdmin(ctx).query<{ at: string | null }>(`SELECT rolvaliduntil::text AS at FROM pg_roles WHERE rolname = ${quoteLiteral(ctx.opts.dbUser)} AND rolvaliduntil < now()`);
  return r?.at ?? undefined;
}

const loginSql = (user: string, expired: boolean) => `ALTER ROLE ${quoteIdent(user)} LOGIN${expired ? ` VALID UNTIL 'infinity'` : ''}`;

const GRANT_NOTE = 'the admin is not a superuser: PostgreSQL lets it make the database owned by this role only as a member of it';

/** No password known yet: apply generates one, and the plan says where it goes. */
const generatePlan = (ctx: SetupContext) => (ctx.password === undefined ? [{ kind: 'note' as const, text: `Generate a random password and save it to ${generatedPasswordPath(ctx)} (mode 0600).` }] : []);

function describeSource(ctx: SetupContext): string {
  switch (ctx.passwordSource) {
    case 'file':
      return `the password from ${ctx.opts.dbPasswordFile}`;
    case 'config':
      return 'the password already in the Synapse config';
    case 'prompt':
      return 'the password you typed';
    default:
      return `a new random password saved in ${generatedPasswordPath(ctx)} (mode 0600)`;
  }
}

export const createRole: Step<SetupContext> = {
  id: 'create-role',
  title: 'Create the database role',
  why: 'Synapse logs in as its own role with a password, never as the postgres superuser.',
  async gather(ctx, _sc, ask) {
    const { opts } = ctx;
    if (opts.dbPasswordFile && !(opts.setPassword === false && ctx.passwordSource === 'config')) {
      if (await exists(opts.dbPasswordFile)) {
        ctx.password = await readPasswordFile(opts.dbPasswordFile);
        ctx.passwordSource = 'file';
      }
    }
    const row = await roleOf(ctx);
    const user = opts.dbUser;
    const typed = (pw: string) => {
      registerSecret(pw);
      ctx.password = pw;
      ctx.passwordSource = 'prompt';
    };
    if (!row) {
      if (ctx.password === undefined && ask && !opts.dbPasswordFile) {
        const pw = await ask.password({ message: `Password for the new role ${user} (empty: generate a strong one)`, validate: (v) => (v === '' ? undefined : validatePassword(v)) });
        if (pw) typed(pw);
      }
      return;
    }
    if (opts.setPassword) {
      if (ctx.password === undefined || ctx.passwordSource === 'config') {
        if (!opts.dbPasswordFile && ask) typed(await ask.password({ message: `New password for ${user}`, validate: validatePassword }));
        else {
          ctx.password = undefined;
          ctx.passwordSource = undefined;
        }
      }
      return;
    }
    if (ctx.password === undefined && ask) {
      typed(
        await ask.password({
          message: `Role ${user} already exists. Its password (Synapse will use it)`,
          // a CREATEROLE admin cannot read the verifier: the role's login proves the password later
          validate: (v) => (ctx.server?.superuser === false || verifierMatches(row.rolpassword, v, user) ? undefined : 'That is not the password of this role. Try again, or re-run with --set-password.'),
        }),
      );
    }
  },
  async check(ctx) {
    const r = await baseCheck(ctx);
    if (r.status === 'blocked' || r.status === 'skip') return r;
    const grant = ctx.server?.superuser === false ? (r.status === 'needed' && !(await roleOf(ctx)) ? grantToAdminSql(ctx.opts.dbUser, ctx.server.adminRole, ctx.server.versionNum) : await grantNeeded(ctx)) : undefined;
    if (!grant) return r;
    const step = { kind: 'sql' as const, sql: grant, note: GRANT_NOTE };
    if (r.status === 'needed') return { ...r, plan: [...(r.plan ?? []), step] };
    return { status: 'needed', message: `${r.message} ${ctx.server!.adminRole} is not a member of ${ctx.opts.dbUser} yet, so it cannot make the database owned by it.`, plan: [step], confirm: `Grant ${ctx.opts.dbUser} to ${ctx.server!.adminRole}?` };
  },
  async apply(ctx) {
    const admin = requireAdmin(ctx);
    const done: string[] = [];
    const r = await baseCheck(ctx);
    if (r.status === 'needed') done.push(await baseApply(ctx));
    const grant = await grantNeeded(ctx);
    if (grant) {
      await admin.exec(grant).catch((e: unknown) => {
        throw new WizardError('PG_NOT_SUPERUSER', `${ctx.server!.adminRole} may not be granted ${ctx.opts.dbUser}: ${(e as Error).message}`, { cause: e, hint: `From PostgreSQL 16 on, only a role with ADMIN OPTION on ${ctx.opts.dbUser} (its creator, or a superuser) may grant it. Let the wizard create the role itself (drop the old one, or choose another --db-user), or ask for: GRANT ${ctx.opts.dbUser} TO ${ctx.server!.adminRole} WITH SET TRUE;` });
      });
      done.push(`Granted ${ctx.opts.dbUser} to ${ctx.server!.adminRole} (${grant.includes('SET TRUE') ? 'SET option, without INHERIT' : 'membership'}), so it can hand the database to ${ctx.opts.dbUser}.`);
    }
    return done.join(' ');
  },
  async verify(ctx) {
    const v = await baseVerify(ctx);
    if (!v.ok) return v;
    if (await grantNeeded(ctx)) return { ok: false, message: `${ctx.server!.adminRole} still cannot SET ROLE ${ctx.opts.dbUser}.`, hint: 'Ask the provider how its admin role can be granted roles it created (PostgreSQL 16+: the ADMIN OPTION its creator gets).' };
    return v;
  },
};

async function baseCheck(ctx: SetupContext): Promise<CheckResult> {
  const { opts } = ctx;
  const row = await roleOf(ctx);
  const user = opts.dbUser;
  if (!row) {
    const plan = generatePlan(ctx);
    return { status: 'needed', message: `Role ${user} does not exist yet.`, plan: [...plan, { kind: 'sql', sql: shownSql(ctx, 'CREATE') }], confirm: `Create the role ${user} with ${describeSource(ctx)}?` };
  }
  const superNote = row.rolsuper ? ` Note: ${user} is a superuser; Synapse does not need that.` : '';
  if (opts.setPassword) {
    if (ctx.password !== undefined && row.rolcanlogin && (await passwordProof(ctx, row)).is === 'match') {
      return { status: 'done', message: `Role ${user} exists and already has that password.${superNote}` };
    }
    const plan = generatePlan(ctx);
    return { status: 'needed', message: `Role ${user} exists; its password will be set (--set-password).`, plan: [...plan, { kind: 'sql', sql: shownSql(ctx, 'ALTER') }], confirm: `Set a new password for the existing role ${user}? Anything else using the old one will stop working.` };
  }
  if (ctx.password === undefined) {
    return { status: 'blocked', code: 'BAD_INPUT', message: `Role ${user} already exists and the wizard does not know its password.`, hint: `Pass --db-password-file FILE holding its password, or --set-password (with or without --db-password-file) to give it a new one.` };
  }
  // a superuser proves the password by the verifier before anything else; a CREATEROLE admin only by a login, which NOLOGIN or an expiry refuses
  if (ctx.server?.superuser !== false && !verifierMatches(row.rolpassword, ctx.password, user)) {
    return { status: 'blocked', code: 'PG_AUTH', message: `Role ${user} exists, but ${describeSource(ctx)} is not its password.`, hint: 'Pass the right --db-password-file, or add --set-password to set this password on the role.' };
  }
  const expired = await expiredAt(ctx);
  if (!row.rolcanlogin || expired) {
    const why = [!row.rolcanlogin ? 'may not log in (NOLOGIN)' : '', expired ? `has a password that expired at ${expired} (VALID UNTIL)` : ''].filter(Boolean).join(' and ');
    return { status: 'needed', message: `Role ${user} exists but ${why}.`, plan: [{ kind: 'sql', sql: loginSql(user, !!expired) }], confirm: `Allow the role ${user} to log in${expired ? ' with a password that does not expire' : ''}?` };
  }
  const proof = await passwordProof(ctx, row);
  if (proof.is === 'wrong') {
    return { status: 'blocked', code: 'PG_AUTH', message: `Role ${user} exists, but ${describeSource(ctx)} is not its password.`, hint: 'Pass the right --db-password-file, or add --set-password to set this password on the role.' };
  }
  if (proof.is === 'unknown') return { status: 'done', message: `Role ${user} exists; whether ${describeSource(ctx)} is its password is proven by its login below (not yet: ${proof.why}).${superNote}` };
  return { status: 'done', message: `Role ${user} exists and ${describeSource(ctx)} matches it.${superNote}` };
}

async function baseApply(ctx: SetupContext): Promise<string> {
  const admin = requireAdmin(ctx);
  if (ctx.password === undefined) await generateAndSave(ctx);
  const row = await roleOf(ctx);
  if (!row) {
    await admin.exec(passwordSql(ctx, 'CREATE'));
    (ctx.created ??= {}).role = ctx.opts.dbUser;
    return `Created role ${ctx.opts.dbUser} with ${describeSource(ctx)}.`;
  }
  if (ctx.opts.setPassword) {
    await admin.exec(passwordSql(ctx, 'ALTER'));
    return `Set the password of role ${ctx.opts.dbUser} to ${describeSource(ctx)}.`;
  }
  const expired = await expiredAt(ctx);
  await admin.exec(loginSql(ctx.opts.dbUser, !!expired));
  return `Role ${ctx.opts.dbUser} may now log in${expired ? ', and its password no longer expires' : ''}.`;
}

async function baseVerify(ctx: SetupContext): Promise<VerifyResult> {
  const row = await roleOf(ctx);
  if (!row) return { ok: false, message: `role ${ctx.opts.dbUser} is not in pg_roles.` };
  if (!row.rolcanlogin) return { ok: false, message: `role ${ctx.opts.dbUser} cannot log in.` };
  const expired = await expiredAt(ctx);
  if (expired) return { ok: false, message: `the password of ${ctx.opts.dbUser} expired at ${expired} (VALID UNTIL).` };
  if (ctx.password === undefined) throw new WizardError('INTERNAL', 'password unknown after the role step');
  const proof = await passwordProof(ctx, row);
  if (proof.is === 'wrong') return { ok: false, message: ctx.server?.superuser === false ? 'the role refuses the password (28P01).' : 'the stored password verifier does not match the password.', hint: 'Re-run with --set-password.' };
  if (proof.is === 'unknown') return { ok: true, message: `${ctx.opts.dbUser} exists and may log in; its password is proven by logging in once the server accepts this host (${proof.why}).` };
  return { ok: true, message: ctx.server?.superuser === false ? `${ctx.opts.dbUser} can log in with the password (it logged in).` : `${ctx.opts.dbUser} can log in, and its stored verifier matches the password.` };
}
