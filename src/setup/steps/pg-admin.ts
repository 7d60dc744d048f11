// Step 2: reach PostgreSQL as a superuser, or as a managed service's admin (CREATEROLE and CREATEDB), and refuse servers older than Synapse supports.
import { WizardError } from '../../core/errors.js';
import type { Step } from '../../core/step.js';
import type { SetupContext } from '../context.js';

/** Synapse 1.160 refuses PostgreSQL below 14 ("Synapse requires PostgreSQL 14 or above."). */
export const MIN_PG_VERSION_NUM = 140000;

interface Who {
  is_super: boolean;
  createrole: boolean;
  createdb: boolean;
  name: string;
  client_addr: string | null;
  version_num: string;
  version: string;
  password_encryption: string;
  ssl: string;
}

/** What to ask for where the admin's role comes from a provider's console, not from a superuser on the server. */
export function privilegesHint(role: string, missing: string[]): string {
  return (
    `Connect as a role with ${missing.join(' and ')}: on a managed service that is the admin account its console created ` +
    '(AWS RDS and Aurora: the master user, member of rds_superuser; Google Cloud SQL: a user with the cloudsqlsuperuser role, such as postgres; ' +
    'Azure Database for PostgreSQL: the server admin, member of azure_pg_admin; DigitalOcean: doadmin; Scaleway: the instance admin). ' +
    `On your own server a superuser can grant them: ALTER ROLE ${role} CREATEROLE CREATEDB; (or use --pg-admin local as root).`
  );
}

export const pgAdmin: Step<SetupContext> = {
  id: 'pg-admin',
  title: 'Reach PostgreSQL as an admin',
  prerequisite: true,
  why: 'Creating the role and the database need a superuser, or on a managed service a role with CREATEROLE and CREATEDB.',
  async check(ctx) {
    const admin = ctx.admin ?? ctx.createAdmin(ctx.opts.pgAdmin);
    ctx.admin = admin;
    const [who] = await admin.query<Who>(
      `SELECT rolsuper AS is_super, rolcreaterole AS createrole, rolcreatedb AS createdb, rolname AS name, host(inet_client_addr()) AS client_addr,
              current_setting('server_version_num') AS version_num, current_setting('server_version') AS version,
              current_setting('password_encryption') AS password_encryption, current_setting('ssl') AS ssl
         FROM pg_roles WHERE rolname = current_user`,
    );
    if (!who) throw new WizardError('PG_QUERY', 'The server did not say which role the admin connection is.');
    const missing = who.is_super ? [] : [...(who.createrole ? [] : ['CREATEROLE']), ...(who.createdb ? [] : ['CREATEDB'])];
    if (missing.length) {
      return { status: 'blocked', code: 'PG_NOT_SUPERUSER', message: `Connected (${admin.describe()}) as ${who.name}, which is not a superuser and lacks ${missing.join(' and ')}: it cannot create Synapse's ${missing.length === 2 ? 'role and database' : missing[0] === 'CREATEROLE' ? 'role' : 'database'}.`, hint: privilegesHint(who.name, missing) };
    }
    const versionNum = Number(who.version_num);
    if (versionNum < MIN_PG_VERSION_NUM) {
      return { status: 'blocked', code: 'PG_TOO_OLD', message: `PostgreSQL ${who.version} is too old: Synapse requires PostgreSQL 14 or above.`, hint: 'Upgrade PostgreSQL (pg_upgradecluster on Debian, or the provider\'s major-version upgrade), or point the wizard at a newer server with PGHOST/PGPORT or --pg-admin.' };
    }
    // hba_file and data_directory are readable by superusers only
    const [paths] = who.is_super ? await admin.query<{ hba_file: string; data_directory: string }>(`SELECT current_setting('hba_file') AS hba_file, current_setting('data_directory') AS data_directory`) : [];
    ctx.server = {
      versionNum,
      version: who.version,
      passwordEncryption: who.password_encryption,
      hbaFile: paths?.hba_file,
      ssl: who.ssl === 'on',
      dataDirectory: paths?.data_directory,
      superuser: who.is_super,
      adminRole: who.name,
      clientAddr: who.client_addr ?? undefined,
    };
    const as = who.is_super ? 'a superuser' : `${who.name} (CREATEROLE and CREATEDB, not a superuser: the wizard will not read or edit pg_hba.conf)`;
    return { status: 'done', message: `PostgreSQL ${who.version} reached with ${admin.describe()} as ${as}.` };
  },
  async apply() {
    return 'Nothing to apply.';
  },
  async verify(ctx) {
    const [r] = await ctx.admin!.query<{ ok: number }>('SELECT 1 AS ok');
    return r?.ok === 1 ? { ok: true, message: 'the admin connection answers queries.' } : { ok: false, message: 'the admin connection does not answer.' };
  },
};
