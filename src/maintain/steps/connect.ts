// Every task starts here: log in to Synapse's database exactly as Synapse does.
import type { Step } from '../../core/step.js';
import type { MaintainContext } from '../context.js';
import { databaseBytes, formatBytes } from '../sizes.js';

export const connect: Step<MaintainContext> = {
  id: 'connect',
  title: "Reach Synapse's database",
  why: 'Maintenance works on the database Synapse uses, with the role and password from its database: section.',
  prerequisite: true,
  async check(ctx) {
    const [r] = await ctx.db.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
    const size = await databaseBytes(ctx.db);
    return { status: 'done', message: `Logged in as ${ctx.db.describe()} (PostgreSQL ${r!.v}); the database takes ${formatBytes(size)}.` };
  },
  async apply() {
    return 'Nothing to apply.';
  },
  async verify(ctx) {
    const [r] = await ctx.db.query<{ ok: number }>('SELECT 1 AS ok');
    return r?.ok === 1 ? { ok: true, message: 'the connection answers queries.' } : { ok: false, message: 'the connection does not answer.' };
  },
};
