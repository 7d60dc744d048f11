// Step 5: make pg_hba.conf accept Synapse's TCP login with a password, inserting lines before whatever would match first.
import { loginWithRetry } from '../../adapters/pg-login.js';
import { backupFile, canWrite, readText, restoreBackup, writeFileAtomic } from '../../adapters/files.js';
import { unifiedDiff } from '../../core/diff.js';
import { WizardError } from '../../core/errors.js';
import type { Step } from '../../core/step.js';
import { planHbaInsert, type HbaInsertPlan } from '../../pg/hba.js';
import { quoteLiteral } from '../../pg/identifiers.js';
import { requireAdmin, synapseDbArgs, type SetupContext } from '../context.js';
import { clientCidrs } from '../client-address.js';
import { remoteHbaCheck, remoteHbaVerify, remoteReason } from '../remote-hba.js';

export { clientCidrs } from '../client-address.js';

async function memberOf(ctx: SetupContext): Promise<string[]> {
  const rows = await requireAdmin(ctx).query<{ r: string }>(
    `SELECT b.rolname AS r FROM pg_roles b, pg_roles u WHERE u.rolname = ${quoteLiteral(ctx.opts.dbUser)} AND pg_has_role(u.oid, b.oid, 'MEMBER')`,
  );
  return rows.map((x) => x.r);
}

async function hbaErrors(ctx: SetupContext): Promise<string[]> {
  const rows = await requireAdmin(ctx).query<{ line_number: number | null; error: string }>(`SELECT line_number, error FROM pg_hba_file_rules WHERE error IS NOT NULL`);
  // "hostssl record cannot match because SSL is disabled" and the like are reported but do not stop a reload
  return rows.filter((r) => !/cannot match because/.test(r.error)).map((r) => `line ${r.line_number ?? '?'}: ${r.error}`);
}

export interface HbaState {
  file: string;
  text: string;
  plan: HbaInsertPlan;
}

async function planFor(ctx: SetupContext): Promise<HbaState | { blocked: string; hint: string }> {
  const file = ctx.server!.hbaFile;
  if (!file) return { blocked: 'The admin connection is not a superuser, so pg_hba.conf cannot be read.', hint: 'Ask the database admin to add a line for Synapse, then run again.' };
  // Synapse in a container connects from its bridge network, not from the address it connects to
  const cidrs = ctx.opts.clientNetworks?.length ? ctx.opts.clientNetworks : await clientCidrs(ctx.opts.dbHost);
  if (!cidrs) return { blocked: `Synapse connects to ${ctx.opts.dbHost}, which is not this machine, so the wizard cannot tell which client address the server will see.`, hint: 'Edit pg_hba.conf on the database server yourself (a host line for this machine with scram-sha-256), then run again with --pg-hba skip.' };
  let text: string;
  try {
    text = await readText(file);
  } catch (e) {
    return { blocked: `pg_hba.conf (${file}) cannot be read here: ${(e as Error).message}.`, hint: 'Run the wizard as root on the database server, or pass --pg-hba skip on managed servers (then make sure the server accepts Synapse with a password).' };
  }
  const plan = planHbaInsert(text, {
    database: ctx.opts.dbName,
    user: ctx.opts.dbUser,
    addresses: cidrs,
    method: ctx.server!.passwordEncryption === 'md5' ? 'md5' : 'scram-sha-256',
    ssl: ctx.server!.ssl,
    roles: await memberOf(ctx),
    comment: `# Added by synapse-pg-wizard on ${new Date().toISOString().slice(0, 10)}: Synapse logs in over TCP with a password`,
  });
  return { file, text, plan };
}

export const pgHba: Step<SetupContext> = {
  id: 'pg-hba',
  title: 'Allow Synapse in pg_hba.conf',
  why: 'PostgreSQL uses the first pg_hba.conf line that matches; an ident or peer line above yours makes the login fail ("Ident authentication failed").',
  async check(ctx) {
    const remote = await remoteReason(ctx);
    if (remote) return remoteHbaCheck(ctx, remote);
    if (ctx.opts.pgHba === 'skip') return { status: 'skip', message: 'Left pg_hba.conf alone (--pg-hba skip); the config step still proves that Synapse can log in.' };
    const st = await planFor(ctx);
    if ('blocked' in st) return { status: 'blocked', code: 'HBA_NOT_WRITABLE', message: st.blocked, hint: st.hint };
    const existing = await hbaErrors(ctx);
    if (existing.length) {
      return { status: 'blocked', code: 'HBA_RELOAD', message: `${st.file} already has errors that PostgreSQL would refuse on the next reload (${existing.join('; ')}); the server still runs on the rules it loaded before.`, hint: `Fix those lines first (see SELECT * FROM pg_hba_file_rules WHERE error IS NOT NULL), then run again.` };
    }
    const why = st.plan.perAddress.map((p) => `${p.address}: ${p.reason}`).join('; ');
    if (!st.plan.needed) {
      ctx.hbaPending = undefined;
      return { status: 'done', message: `${st.file} already accepts ${ctx.opts.dbUser} with a password (${why}).` };
    }
    if (!(await canWrite(st.file))) {
      return { status: 'blocked', code: 'HBA_NOT_WRITABLE', message: `${st.file} needs a line for Synapse (${why}), but this user may not write it.`, hint: 'Run the wizard as root, or add the lines shown by --dry-run yourself and pass --pg-hba skip.' };
    }
    ctx.hbaPending = st;
    return {
      status: 'needed',
      message: `${st.file} does not accept Synapse's login with a password yet (${why}).`,
      plan: [
        { kind: 'file', path: st.file, diff: unifiedDiff(st.text, st.plan.text, st.file) },
        { kind: 'sql', sql: 'SELECT pg_reload_conf()', note: 'reload after checking pg_hba_file_rules for errors' },
      ],
      confirm: `Edit ${st.file} (a backup is kept) and reload PostgreSQL?`,
    };
  },
  async apply(ctx, sc) {
    const remote = await remoteReason(ctx);
    if (remote) return `Left pg_hba.conf to the server's admin (${remote}).`;
    const st = ctx.hbaPending;
    if (!st) throw new WizardError('INTERNAL', 'pg-hba apply without a plan');
    const current = await readText(st.file);
    if (current !== st.text) throw new WizardError('HBA_RELOAD', `${st.file} changed while the wizard was running; nothing was written.`, { hint: 'Run the wizard again.' });
    const backup = await backupFile(st.file);
    sc.log(`Backed up ${st.file} to ${backup}`);
    await writeFileAtomic(st.file, st.plan.text);
    (ctx.created ??= {}).hbaEdited = `${st.file} (backup ${backup})`;
    const errors = await hbaErrors(ctx);
    if (errors.length) {
      await restoreBackup(backup, st.file);
      throw new WizardError('HBA_RELOAD', `PostgreSQL reports errors in the edited pg_hba.conf (${errors.join('; ')}); the original file was put back and nothing was reloaded.`, { hint: `Fix the reported lines by hand (the backup is ${backup}), then run again.` });
    }
    const [r] = await requireAdmin(ctx).query<{ ok: boolean }>('SELECT pg_reload_conf() AS ok');
    if (!r?.ok) throw new WizardError('HBA_RELOAD', 'pg_reload_conf() returned false.', { hint: 'Reload PostgreSQL yourself (systemctl reload postgresql).' });
    return `Inserted ${st.plan.inserted.reduce((n, i) => n + i.lines.length, 0)} line(s) into ${st.file} (backup ${backup}) and reloaded.`;
  },
  async verify(ctx) {
    const remote = await remoteReason(ctx);
    if (remote) return remoteHbaVerify(ctx, remote);
    const errors = await hbaErrors(ctx);
    if (errors.length) return { ok: false, message: `pg_hba.conf has errors: ${errors.join('; ')}` };
    const st = await planFor(ctx);
    if ('blocked' in st) return { ok: false, message: st.blocked, hint: st.hint };
    if (st.plan.needed) return { ok: false, message: 'the file still lacks a password line for Synapse.' };
    const logins = await loginWithRetry(synapseDbArgs(ctx));
    return { ok: true, message: `${ctx.opts.dbUser} logged in with its password over TCP (${logins.map((l) => l.address).join(', ')}:${ctx.opts.dbPort}).` };
  },
};
