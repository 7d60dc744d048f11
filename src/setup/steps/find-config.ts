// Step 1: find Synapse's config files, merge them as Synapse does, and learn which file holds `database`.
import { findConfigPaths } from '../../config/discover.js';
import { loadConfig } from '../../config/load.js';
import { AUTO_DETECT } from '../../config/discover.js';
import { registerSecret } from '../../core/redact.js';
import type { Step } from '../../core/step.js';
import type { SetupContext } from '../context.js';

export const findConfig: Step<SetupContext> = {
  id: 'find-config',
  title: 'Find the Synapse config',
  prerequisite: true,
  why: 'The database: section must be written into the file Synapse really reads, and an existing PostgreSQL setup must be respected.',
  async check(ctx) {
    const { opts } = ctx;
    const paths = await findConfigPaths(opts.configPaths, { cwd: opts.cwd, home: opts.home });
    if (!paths) {
      ctx.config = null;
      const looked = AUTO_DETECT({ cwd: opts.cwd, home: opts.home }).map((c) => c[0]).join(', ');
      return { status: 'skip', message: `No Synapse config found (looked for ${looked}). The PostgreSQL steps still run; at the end you get the database: block to paste into your homeserver.yaml. Use -c PATH to point at your config.` };
    }
    const loaded = await loadConfig(paths);
    ctx.config = loaded;
    const db = loaded.database;
    const where = loaded.databaseFile ? ` (database: is in ${loaded.databaseFile.path})` : ' (no file sets database:; Synapse will not start without one)';
    if (db?.name === 'psycopg2') {
      const conflict = adoptPostgresArgs(ctx, db.args);
      if (conflict) return { status: 'blocked', code: 'CONFIG_CONFLICT', message: conflict, hint: 'Run again without those flags to keep the configured database, or with flags that match it. The wizard never replaces working PostgreSQL credentials.' };
    }
    const what = db?.name === 'psycopg2' ? `PostgreSQL (database ${String(db.args.dbname ?? db.args.database ?? '?')} as ${String(db.args.user ?? '?')})` : 'SQLite';
    return { status: 'done', message: `Read ${paths.length} file(s): ${paths.join(', ')}; it uses ${what}${where}.` };
  },
  async apply() {
    return 'Nothing to apply.';
  },
  async verify(ctx) {
    return { ok: true, message: ctx.config ? 'config parsed and merged.' : 'no config to read.' };
  },
};

/** A config already on PostgreSQL: take its connection values where the admin gave no flag; report a conflict otherwise. */
function adoptPostgresArgs(ctx: SetupContext, args: Record<string, unknown>): string | undefined {
  const { opts, } = ctx;
  const configured: Record<string, string | undefined> = {
    'db-user': str(args.user),
    'db-name': str(args.dbname ?? args.database),
    'db-host': str(args.host),
    'db-port': str(args.port),
  };
  const current: Record<string, string> = { 'db-user': opts.dbUser, 'db-name': opts.dbName, 'db-host': opts.dbHost, 'db-port': String(opts.dbPort) };
  const conflicts: string[] = [];
  for (const [flag, value] of Object.entries(configured)) {
    if (value === undefined) continue;
    if (opts.explicit.has(flag) && value !== current[flag]) conflicts.push(`--${flag} ${current[flag]} but the config has ${value}`);
  }
  if (conflicts.length) return `The config already points Synapse at PostgreSQL with other settings: ${conflicts.join('; ')}.`;
  if (configured['db-user']) opts.dbUser = configured['db-user'];
  if (configured['db-name']) opts.dbName = configured['db-name'];
  if (configured['db-host']) opts.dbHost = configured['db-host'];
  if (configured['db-port']) opts.dbPort = Number(configured['db-port']);
  const pw = str(args.password);
  if (pw && !opts.explicit.has('db-password-file')) {
    registerSecret(pw);
    ctx.password = pw;
    ctx.passwordSource = 'config';
  }
  return undefined;
}

function str(v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : String(v);
}
