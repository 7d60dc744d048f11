// Step 3: the login role Synapse connects as, with a password stored as a SCRAM verifier computed here.
import { exists } from '../../adapters/files.js';
import { WizardError } from '../../core/errors.js';
import { registerSecret } from '../../core/redact.js';
import type { Step } from '../../core/step.js';
import { quoteIdent, quoteLiteral } from '../../pg/identifiers.js';
import { rolePasswordSql, roleRow, shownRolePasswordSql } from '../../pg/role.js';
import { verifierMatches } from '../../pg/scram.js';
import { requireAdmin, type SetupContext } from '../context.js';
import { generateAndSave, generatedPasswordPath, readPasswordFile, validatePassword } from '../password.js';

/** The statement as shown in plans: the verifier is left out, it is as good as a password hash. */
function shownSql(ctx: SetupContext, verb: 'CREATE' | 'ALTER'): string {
  const kind = ctx.server?.passwordEncryption === 'md5' ? 'md5' : 'SCRAM-SHA-256';
  return shownRolePasswordSql(verb, ctx.opts.dbUser, `${kind} verifier of the password, computed by the wizard`);
}

function passwordSql(ctx: SetupContext, verb: 'CREATE' | 'ALTER'): string {
  return rolePasswordSql(verb, ctx.opts.dbUser, ctx.password!, ctx.server?.passwordEncryption);
}

const roleOf = (ctx: SetupContext) => roleRow(requireAdmin(ctx), ctx.opts.dbUser);

/** When the role's password expired (VALID UNTIL in the past): the stored verifier still matches, but every login is refused. */
async function expiredAt(ctx: SetupContext): Promise<string | undefined> {
  const [r] = await requireAdmin(ctx).query<{ at: string | null }>(`SELECT rolvaliduntil::text AS at FROM pg_roles WHERE rolname = ${quoteLiteral(ctx.opts.dbUser)} AND rolvaliduntil < now()`);
  return r?.at ?? undefined;
}

const loginSql = (user: string, expired: boolean) => `ALTER ROLE ${quoteIdent(user)} LOGIN${expired ? ` VALID UNTIL 'infinity'` : ''}`;

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
          validate: (v) => (verifierMatches(row.rolpassword, v, user) ? undefined : 'That is not the password of this role. Try again, or re-run with --set-password.'),
        }),
      );
    }
  },
  async check(ctx) {
    const { opts } = ctx;
    const row = await roleOf(ctx);
    const user = opts.dbUser;
    if (!row) {
      const plan = generatePlan(ctx);
      return { status: 'needed', message: `Role ${user} does not exist yet.`, plan: [...plan, { kind: 'sql', sql: shownSql(ctx, 'CREATE') }], confirm: `Create the role ${user} with ${describeSource(ctx)}?` };
    }
    const superNote = row.rolsuper ? ` Note: ${user} is a superuser; Synapse does not need that.` : '';
    if (opts.setPassword) {
      if (ctx.password !== undefined && row.rolcanlogin && verifierMatches(row.rolpassword, ctx.password, user)) {
        return { status: 'done', message: `Role ${user} exists and already has that password.${superNote}` };
      }
      const plan = generatePlan(ctx);
      return { status: 'needed', message: `Role ${user} exists; its password will be set (--set-password).`, plan: [...plan, { kind: 'sql', sql: shownSql(ctx, 'ALTER') }], confirm: `Set a new password for the existing role ${user}? Anything else using the old one will stop working.` };
    }
    if (ctx.password === undefined) {
      return { status: 'blocked', code: 'BAD_INPUT', message: `Role ${user} already exists and the wizard does not know its password.`, hint: `Pass --db-password-file FILE holding its password, or --set-password (with or without --db-password-file) to give it a new one.` };
    }
    if (!verifierMatches(row.rolpassword, ctx.password, user)) {
      return { status: 'blocked', code: 'PG_AUTH', message: `Role ${user} exists, but ${describeSource(ctx)} is not its password.`, hint: 'Pass the right --db-password-file, or add --set-password to set this password on the role.' };
    }
    const expired = await expiredAt(ctx);
    if (!row.rolcanlogin || expired) {
      const why = [!row.rolcanlogin ? 'may not log in (NOLOGIN)' : '', expired ? `has a password that expired at ${expired} (VALID UNTIL)` : ''].filter(Boolean).join(' and ');
      return { status: 'needed', message: `Role ${user} exists but ${why}.`, plan: [{ kind: 'sql', sql: loginSql(user, !!expired) }], confirm: `Allow the role ${user} to log in${expired ? ' with a password that does not expire' : ''}?` };
    }
    return { status: 'done', message: `Role ${user} exists and ${describeSource(ctx)} matches it.${superNote}` };
  },
  async apply(ctx) {
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
  },
  async verify(ctx) {
    const row = await roleOf(ctx);
    if (!row) return { ok: false, message: `role ${ctx.opts.dbUser} is not in pg_authid.` };
    if (!row.rolcanlogin) return { ok: false, message: `role ${ctx.opts.dbUser} cannot log in.` };
    const expired = await expiredAt(ctx);
    if (expired) return { ok: false, message: `the password of ${ctx.opts.dbUser} expired at ${expired} (VALID UNTIL).` };
    if (ctx.password === undefined) throw new WizardError('INTERNAL', 'password unknown after the role step');
    if (!verifierMatches(row.rolpassword, ctx.password, ctx.opts.dbUser)) return { ok: false, message: 'the stored password verifier does not match the password.', hint: 'Re-run with --set-password.' };
    return { ok: true, message: `${ctx.opts.dbUser} can log in, and its stored verifier matches the password.` };
  },
};
