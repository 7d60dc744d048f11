// Step 2: reach PostgreSQL as a superuser, and refuse servers older than Synapse supports.
import { WizardError } from '../../core/errors.js';
import type { Step } from '../../core/step.js';
import type { SetupContext } from '../context.js';

/** Synapse 1.160 refuses PostgreSQL below 14 ("Synapse requires PostgreSQL 14 or above."). */
export const MIN_PG_VERSION_NUM = 140000;

interface Row {
  version_num: string;
  version: string;
  is_super: boolean;
  password_encryption: string;
  hba_file: string;
  ssl: string;
  data_directory: string;
}

export const pgAdmin: Step<SetupContext> = {
  id: 'pg-admin',
  title: 'Reach PostgreSQL as a superuser',
  prerequisite: true,
  why: 'Creating the role and the database and reloading pg_hba.conf need a superuser connection.',
  async check(ctx) {
    const admin = ctx.admin ?? ctx.createAdmin(ctx.opts.pgAdmin);
    ctx.admin = admin;
    const [who] = await admin.query<{ is_super: boolean }>(`SELECT rolsuper AS is_super FROM pg_roles WHERE rolname = current_user`);
    if (!who?.is_super) {
      return { status: 'blocked', code: 'PG_NOT_SUPERUSER', message: `Connected (${admin.describe()}), but not as a superuser.`, hint: 'Use a superuser: run as root with --pg-admin local, or --pg-admin url:postgresql://postgres@HOST/postgres.' };
    }
    // hba_file and data_directory are readable by superusers only, hence the second query
    const [row] = await admin.query<Row>(
      `SELECT current_setting('server_version_num') AS version_num, current_setting('server_version') AS version, true AS is_super,
              current_setting('password_encryption') AS password_encryption, current_setting('hba_file') AS hba_file,
              current_setting('ssl') AS ssl, current_setting('data_directory') AS data_directory`,
    );
    if (!row) throw new WizardError('PG_QUERY', 'The server returned no settings.');
    const versionNum = Number(row.version_num);
    if (versionNum < MIN_PG_VERSION_NUM) {
      return { status: 'blocked', code: 'PG_TOO_OLD', message: `PostgreSQL ${row.version} is too old: Synapse requires PostgreSQL 14 or above.`, hint: 'Upgrade PostgreSQL (pg_upgradecluster on Debian), or point the wizard at a newer server with PGHOST/PGPORT or --pg-admin.' };
    }
    ctx.server = { versionNum, version: row.version, passwordEncryption: row.password_encryption, hbaFile: row.hba_file, ssl: row.ssl === 'on', dataDirectory: row.data_directory };
    return { status: 'done', message: `PostgreSQL ${row.version} reached with ${admin.describe()} as a superuser.` };
  },
  async apply() {
    return 'Nothing to apply.';
  },
  async verify(ctx) {
    const [r] = await ctx.admin!.query<{ ok: number }>('SELECT 1 AS ok');
    return r?.ok === 1 ? { ok: true, message: 'the superuser connection answers queries.' } : { ok: false, message: 'the superuser connection does not answer.' };
  },
};
