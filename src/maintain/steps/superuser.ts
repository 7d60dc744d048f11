// Restore creates a database: that needs a superuser connection (--pg-admin), as setup does.
import type { Step } from '../../core/step.js';
import type { MaintainContext } from '../context.js';

export const superuser: Step<MaintainContext> = {
  id: 'superuser',
  title: 'Reach PostgreSQL as a superuser',
  why: 'Only a superuser (or a role with CREATEDB) can create the database to restore into.',
  prerequisite: true,
  async check(ctx) {
    const admin = ctx.admin ?? ctx.createAdmin(ctx.opts.pgAdmin);
    ctx.admin = admin;
    const [who] = await admin.query<{ s: boolean }>(`SELECT rolsuper AS s FROM pg_roles WHERE rolname = current_user`);
    if (!who?.s) return { status: 'blocked', code: 'PG_NOT_SUPERUSER', message: `Connected (${admin.describe()}), but not as a superuser.`, hint: 'Run as root with --pg-admin local, or pass --pg-admin url:postgresql://postgres@HOST/postgres.' };
    return { status: 'done', message: `Reached PostgreSQL with ${admin.describe()} as a superuser.` };
  },
  async apply() {
    return 'Nothing to apply.';
  },
  async verify(ctx) {
    const [r] = await ctx.admin!.query<{ ok: number }>('SELECT 1 AS ok');
    return r?.ok === 1 ? { ok: true, message: 'the superuser connection answers queries.' } : { ok: false, message: 'the superuser connection does not answer.' };
  },
};
