// Phase 1: homeserver-postgres.yaml beside the config, the whole config with the PostgreSQL database block (synapse_port_db needs one file).
import { fileOwnership, readText, readTextOrUndefined, writeFileAtomic } from '../../adapters/files.js';
import { postgresDatabaseSection, renderConfigWithDatabase } from '../../config/database-block.js';
import { parseConfigText, type DatabaseSection } from '../../config/load.js';
import { unifiedDiff } from '../../core/diff.js';
import type { Step } from '../../core/step.js';
import { synapseDbArgs } from '../../setup/context.js';
import { POOL_AND_KEEPALIVES, tlsArgs } from '../../setup/steps/database-config.js';
import type { CutoverContext } from '../context.js';

/** The database block Synapse will use; a dry run before the role exists shows a placeholder for the password. */
export function postgresSection(ctx: CutoverContext, dryRun = false): DatabaseSection {
  const a = dryRun && ctx.setup.password === undefined ? { ...synapseDbArgs({ ...ctx.setup, password: '<password of the new role>' }) } : synapseDbArgs(ctx.setup);
  const { sslmode: _m, sslrootcert: _r, ...plain } = a;
  return postgresDatabaseSection({ ...plain, ...POOL_AND_KEEPALIVES }, tlsArgs(ctx.setup.opts.dbTls, (p) => ctx.exec.toInside(p)));
}

/** sslrootcert must be a file Synapse can open where it runs (its chroot or container): the path map has to reach it. */
export function rootCertProblem(ctx: CutoverContext): string | undefined {
  const host = ctx.setup.opts.dbTls?.sslrootcert;
  if (!host || ctx.exec.target.kind === 'local' || ctx.exec.target.kind === 'user') return undefined;
  const inside = ctx.exec.toInside(host);
  if (ctx.exec.toHost(inside) === host) return undefined;
  const where = ctx.exec.target.kind === 'chroot' ? `the chroot ${ctx.exec.target.dir}` : `the container ${ctx.exec.target.kind === 'docker' ? ctx.exec.target.container : ''}`;
  return `--db-sslrootcert ${host} is not visible where Synapse runs (${where}): no --path-map reaches it.`;
}

function wantedText(ctx: CutoverContext, dryRun = false): string {
  return renderConfigWithDatabase(ctx.config, postgresSection(ctx, dryRun));
}

export const postgresConfig: Step<CutoverContext> = {
  id: 'postgres-config',
  title: 'Write homeserver-postgres.yaml',
  why: 'synapse_port_db --postgres-config needs one complete config file; after the port it becomes homeserver.yaml.',
  async check(ctx, sc) {
    const rootProblem = rootCertProblem(ctx);
    if (rootProblem) return { status: 'blocked', code: 'BAD_INPUT', message: rootProblem, hint: 'Copy the CA file into a directory Synapse sees (inside its chroot, or a mounted volume) and pass that host path, or add --path-map HOST_DIR=SYNAPSE_DIR for a directory both see; database.args gets the path as Synapse sees it.' };
    const path = ctx.paths.postgresConfig;
    const old = await readTextOrUndefined(path);
    const text = wantedText(ctx, sc.dryRun);
    if (old === text) return { status: 'done', message: `${path} is up to date.` };
    // Shown as a change of the config Synapse runs with, so only the database block appears (the rest holds other secrets).
    const base = old ?? (ctx.config.files.length === 1 ? ctx.config.files[0]!.text : renderConfigWithDatabase(ctx.config, ctx.config.database ?? { name: 'sqlite3', args: {} }));
    const from = old === undefined ? ctx.config.files.length === 1 ? ctx.paths.mainConfig : 'the merged config' : path;
    return { status: 'needed', message: `${old === undefined ? 'Write' : 'Update'} ${path}.`, plan: [{ kind: 'file', path, diff: unifiedDiff(base, text, `${from} -> ${path}`), note: `${old === undefined ? `a copy of ${from}` : path} with this change; same mode and owner as the config; it holds the database password` }] };
  },
  async apply(ctx, sc) {
    const st = await fileOwnership(ctx.paths.mainConfig);
    if (st.mode & 0o004) sc.log(`${ctx.paths.mainConfig} is readable by every user; homeserver-postgres.yaml holds the database password, so it is written without the world bits (${(st.mode & 0o640).toString(8)}). Consider chmod 640 on the old config too.`, 'warn');
    await writeFileAtomic(ctx.paths.postgresConfig, wantedText(ctx), { mode: st.mode & 0o7777, forceMode: true, uid: st.uid, gid: st.gid });
    return `Wrote ${ctx.paths.postgresConfig}.`;
  },
  async verify(ctx) {
    const text = await readText(ctx.paths.postgresConfig);
    const db = parseConfigText(ctx.paths.postgresConfig, text).data.database as DatabaseSection | undefined;
    if (db?.name !== 'psycopg2') return { ok: false, message: 'its database section is not psycopg2.' };
    const tls = db.args.sslmode ? `, sslmode ${String(db.args.sslmode)}${db.args.sslrootcert ? ` with sslrootcert ${String(db.args.sslrootcert)} as Synapse sees it` : ''}` : '';
    return { ok: true, message: `database ${String(db.args.dbname)} as ${String(db.args.user)} on ${String(db.args.host)}:${String(db.args.port)}${tls}.` };
  },
};
