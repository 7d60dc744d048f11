// Step 6: write the database: section Synapse reads, changing no other byte of the file, and prove Synapse's login with it.
import { dirname, join } from 'node:path';
import { editFile, exists, fileOwnership, readText, readTextOrEmpty, writeFileAtomic } from '../../adapters/files.js';
import { createExecutor } from '../../adapters/exec.js';
import { setupPreflight } from '../config-preflight.js';
import { describeProbe, probeAsSynapse } from '../../adapters/synapse-probe.js';
import type { PgTls } from '../../adapters/pg-tls.js';
import { hasSynapseData, summarizeSqlite } from '../../adapters/sqlite.js';
import { postgresDatabaseSection, setDatabaseSection } from '../../config/database-block.js';
import type { DatabaseSection } from '../../config/load.js';
import { loadConfig, sqliteDatabasePath } from '../../config/load.js';
import { hostPathFor } from '../../adapters/exec.js';
import { unifiedDiff } from '../../core/diff.js';
import { WizardError } from '../../core/errors.js';
import type { Step } from '../../core/step.js';
import type { SetupContext } from '../context.js';
import { generatedPasswordPath } from '../password.js';

export const POOL_AND_KEEPALIVES = { cp_min: 5, cp_max: 10, keepalives_idle: 10, keepalives_interval: 10, keepalives_count: 3 } as const;

export function wantedSection(ctx: SetupContext): DatabaseSection {
  const { opts } = ctx;
  // an existing psycopg2 section's other libpq keys (sslmode, sslrootcert, options...) are kept: dropping them would weaken it silently;
  // --db-sslmode/--db-sslrootcert given now win over them (sslrootcert as Synapse sees the path)
  const existing = ctx.config?.database?.name === 'psycopg2' ? (ctx.config.database as unknown as Record<string, unknown>) : {};
  const kept = typeof existing.args === 'object' && existing.args !== null ? (existing.args as Record<string, unknown>) : {};
  const tls = tlsArgs(opts.dbTls, (p) => createExecutor(opts.synapseExec ?? { kind: 'local' }).toInside(p)).args ?? {};
  return postgresDatabaseSection({ user: opts.dbUser, password: ctx.password!, dbname: opts.dbName, host: opts.dbHost, port: opts.dbPort, ...POOL_AND_KEEPALIVES }, { ...existing, args: { ...kept, ...tls } });
}

/** sslmode and sslrootcert for database.args (psycopg2 hands every key to libpq); sslrootcert as Synapse sees the path. */
export function tlsArgs(tls: PgTls | undefined, toSynapsePath: (p: string) => string = (p) => p): { args?: Record<string, string> } {
  if (!tls?.sslmode) return {};
  return { args: { sslmode: tls.sslmode, ...(tls.sslrootcert ? { sslrootcert: toSynapsePath(tls.sslrootcert) } : {}) } };
}

interface Target {
  path: string;
  oldText: string;
  newText: string;
  isNew: boolean;
}

/** The file to write: the one whose database: wins; for a conf.d layout without one, a new conf.d/database.yaml; with no config, a file to paste from. */
async function target(ctx: SetupContext): Promise<Target> {
  const section = wantedSection(ctx);
  const cfg = ctx.config;
  if (!cfg) {
    const path = join(ctx.opts.cwd, 'synapse-pg-database.yaml');
    const old = await readTextOrEmpty(path);
    return { path, oldText: old, newText: setDatabaseSection(old, section), isNew: !old };
  }
  if (cfg.databaseFile) return { path: cfg.databaseFile.path, oldText: cfg.databaseFile.text, newText: setDatabaseSection(cfg.databaseFile.text, section), isNew: false };
  const confD = cfg.files.length > 1 ? dirname(cfg.files[cfg.files.length - 1]!.path) : undefined;
  if (confD && confD !== dirname(cfg.files[0]!.path)) {
    const path = join(confD, 'database.yaml');
    return { path, oldText: '', newText: setDatabaseSection('# Written by synapse-pg-wizard: Synapse\'s PostgreSQL connection.\n', section), isNew: true };
  }
  const main = cfg.files[0]!;
  return { path: main.path, oldText: main.text, newText: setDatabaseSection(main.text, section), isNew: false };
}

function sameConnection(a: DatabaseSection | undefined, b: DatabaseSection): boolean {
  if (!a || a.name !== b.name) return false;
  return Object.entries(b.args).every(([k, v]) => String(a.args[k]) === String(v));
}

/** Tightens a file that will hold the password: no access for "other" when Synapse reads it through owner or group. */
async function safeMode(ctx: SetupContext, path: string, isNew: boolean): Promise<{ mode?: number; forceMode?: boolean; uid?: number; gid?: number; note?: string }> {
  if (isNew) {
    // A new conf.d file: readable by the group that may read the main config (Synapse's), by nobody else.
    const main = await fileOwnership(ctx.config!.files[0]!.path);
    return { mode: 0o640, forceMode: true, uid: main.uid, gid: main.gid };
  }
  const st = await fileOwnership(path);
  const mode = st.mode & 0o777;
  if (!(mode & 0o007)) return {};
  if (st.uid !== 0 || st.gid !== 0) return { mode: mode & ~0o007, forceMode: true, note: `Removed access for other users from ${path} (it now holds a password); its owner and group keep theirs.` };
  return { note: `${path} is readable by every user on this machine and now holds the database password; make it readable only by Synapse's user (chown root:SYNAPSE_GROUP and chmod 640).` };
}

export const databaseConfig: Step<SetupContext> = {
  id: 'database-config',
  title: 'Write the database: section',
  why: 'Synapse needs psycopg2 connection arguments, a connection pool and TCP keepalives (without them a network blip hangs it for minutes).',
  async check(ctx) {
    const cfg = ctx.config;
    if (cfg?.database?.name === 'sqlite3' || (cfg && !cfg.database)) {
      const inside = sqliteDatabasePath(cfg);
      const sqlitePath = inside && hostPathFor(ctx.opts.pathMap ?? [], inside);
      const summary = sqlitePath ? await summarizeSqlite(sqlitePath) : undefined;
      if (summary && hasSynapseData(summary) && !ctx.opts.writeConfig) {
        return { status: 'skip', message: `Your config still uses SQLite (${sqlitePath}: ${summary.users} user(s), ${summary.events} event(s)). Switching it now would start Synapse on an empty database; run synapse-pg cutover to port the data (or pass --write-config to switch anyway).` };
      }
    }
    // Everything knowable before the first change (setup's preflight runs this check before any step applies).
    const willWrite = ctx.password === undefined || !(cfg && sameConnection(cfg.database, wantedSection(ctx)));
    const problems = await setupPreflight(ctx, willWrite ? await plannedWrites(ctx) : []);
    if (problems.length) return { status: 'blocked', code: 'BLOCKED', message: problems.map((p) => p.message).join(' '), hint: [...new Set(problems.map((p) => p.hint))].join(' ') };
    if (ctx.password === undefined) {
      // The role step resolves the password; it is still unknown only in --dry-run when it will be generated.
      return { status: 'needed', message: 'The database: section will be written once the password exists.', plan: [{ kind: 'note', text: `Write database: (psycopg2, ${ctx.opts.dbUser}@${ctx.opts.dbHost}:${ctx.opts.dbPort}/${ctx.opts.dbName}, cp_min 5, cp_max 10, keepalives) with the password from ${generatedPasswordPath(ctx)}.` }] };
    }
    const t = await target(ctx);
    if (cfg && sameConnection(cfg.database, wantedSection(ctx))) return { status: 'done', message: `${t.path} already has this database: section.` };
    if (!cfg && t.oldText === t.newText) return { status: 'done', message: `${t.path} already holds the database: section to paste into your homeserver.yaml.` };
    return {
      status: 'needed',
      message: cfg ? `${t.path} will get the PostgreSQL database: section.` : `No config was found, so the database: section goes to ${t.path} (mode 0600) for you to paste into homeserver.yaml.`,
      plan: [{ kind: 'file', path: t.path, diff: unifiedDiff(t.oldText, t.newText, t.path) }],
      confirm: `Write this database: section to ${t.path}${t.isNew ? '' : ' (a backup is kept)'}?`,
    };
  },
  async apply(ctx, sc) {
    const t = await target(ctx);
    if (!ctx.config) {
      await writeFileAtomic(t.path, t.newText, { mode: 0o600, forceMode: true });
      return `Wrote ${t.path} (mode 0600). Paste its database: section into homeserver.yaml in place of the old one.`;
    }
    const now = await readTextOrEmpty(t.path);
    if (now !== t.oldText) throw new WizardError('CONFIG_CONFLICT', `${t.path} changed while the wizard was running; nothing was written.`, { hint: 'Run the wizard again.' });
    const m = await safeMode(ctx, t.path, t.isNew);
    if (m.note) sc.log(m.note, 'warn');
    const backup = await editFile(t.path, t.newText, m);
    (ctx.created ??= {}).configWritten = t.path;
    return `Wrote the database: section to ${t.path}${backup ? ` (backup ${backup})` : ''}.`;
  },
  async verify(ctx) {
    const section = wantedSection(ctx);
    if (ctx.config) {
      const reloaded = await loadConfig(ctx.config.files.map((f) => f.path).concat(await extraFile(ctx)));
      if (!sameConnection(reloaded.database, section)) return { ok: false, message: 'the merged config does not have the written database: section (a later file overrides it?).' };
      ctx.config = reloaded;
    } else {
      const t = await target(ctx);
      if (t.oldText !== t.newText && (await readText(t.path)) !== t.newText) return { ok: false, message: `${t.path} does not hold the section.` };
    }
    // The proof is Synapse's own: psycopg2 with every key of database.args (sslmode, options, keepalives...), a read and a rolled-back write.
    // with the args of the config as Synapse will read it (merged files), not only the keys the wizard wrote
    const live = (ctx.config?.database?.name === 'psycopg2' ? ctx.config.database.args : section.args) as Record<string, unknown>;
    const probe = await probeAsSynapse(createExecutor(ctx.opts.synapseExec ?? { kind: 'local' }), live, { fallback: !ctx.opts.synapseExec });
    if (!probe.ok) return { ok: false, message: `logging in exactly as Synapse will fails: ${describeProbe(probe)}`, hint: 'Run synapse-pg doctor: it names the cause from the server state and the SQLSTATE.' };
    return { ok: true, message: `the config now says psycopg2, and logging in exactly as Synapse will works: ${describeProbe(probe)}` };
  },
};

/** The files this run will write: the config (and its backup) and a generated password file. */
async function plannedWrites(ctx: SetupContext): Promise<{ path: string; bytes: number; what: string }[]> {
  const cfg = ctx.config;
  const out: { path: string; bytes: number; what: string }[] = [];
  const main = cfg?.databaseFile ?? cfg?.files[0];
  const path = main ? main.path : join(ctx.opts.cwd, 'synapse-pg-database.yaml');
  const size = main ? Buffer.byteLength(main.text) : 0;
  out.push({ path, bytes: 2 * size + 64 * 1024, what: 'the Synapse config' });
  if (ctx.password === undefined && !ctx.opts.dbPasswordFile) out.push({ path: generatedPasswordPath(ctx), bytes: 4096, what: 'the generated password file' });
  return out;
}

/** A conf.d/database.yaml written by apply is not in the original list of files. */
async function extraFile(ctx: SetupContext): Promise<string[]> {
  const cfg = ctx.config!;
  if (cfg.databaseFile || cfg.files.length < 2) return [];
  const p = join(dirname(cfg.files[cfg.files.length - 1]!.path), 'database.yaml');
  return cfg.files.some((f) => f.path === p) ? [] : ((await exists(p)) ? [p] : []);
}
