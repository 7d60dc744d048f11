// FAILURES 23: "Cannot use this database as it is too new for the server to understand": the schema's compat_version
// is above the SCHEMA_VERSION of the Synapse that reads it (Synapse's prepare_database makes the same comparison).
import { existsSync } from 'node:fs';
import { openReadOnly } from '../adapters/sqlite.js';
import { formatArgv } from '../adapters/exec.js';
import { WizardError } from '../core/errors.js';
import { requireDoctorAdmin, type DoctorContext } from './context.js';
import type { Diagnosis } from './types.js';
import { ERROR_TEXTS } from '../synapse/known-errors.js';

const ASK = ['python3', '-c', 'from synapse.storage.schema import SCHEMA_VERSION; print(SCHEMA_VERSION)'];

async function compatVersion(ctx: DoctorContext): Promise<{ compat: number; where: string } | undefined> {
  if (ctx.onPostgres) {
    const admin = requireDoctorAdmin(ctx);
    const [t] = await admin.query<{ ok: boolean }>(`SELECT to_regclass('public.schema_compat_version') IS NOT NULL AS ok`, ctx.target.dbname);
    if (!t?.ok) return undefined;
    const [r] = await admin.query<{ v: number }>('SELECT compat_version AS v FROM schema_compat_version', ctx.target.dbname);
    return r && { compat: Number(r.v), where: `PostgreSQL database ${ctx.target.dbname}` };
  }
  if (!ctx.sqlitePath || !existsSync(ctx.sqlitePath)) return undefined;
  const db = openReadOnly(ctx.sqlitePath);
  try {
    if (!db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_compat_version'`).get()) return undefined;
    const r = db.prepare('SELECT compat_version AS v FROM schema_compat_version').get() as { v: number } | undefined;
    return r && { compat: Number(r.v), where: ctx.sqlitePath };
  } finally {
    db.close();
  }
}

export const schemaVersion: Diagnosis = {
  id: 'schema-too-new',
  rank: 67,
  title: "The database's schema is newer than this Synapse understands",
  patterns: ERROR_TEXTS.schemaTooNew,
  // only where Synapse's own tools were named: the doctor asks them which schema they understand
  canCheck: (ctx) => ctx.opts.serviceGiven && (ctx.onPostgres ? !ctx.adminError : !!ctx.sqlitePath && existsSync(ctx.sqlitePath)),
  async diagnose(ctx) {
    if (!ctx.opts.serviceGiven) return undefined;
    const c = await compatVersion(ctx);
    if (!c) return undefined;
    const r = await ctx.exec.run(ASK, { timeoutMs: 60_000 });
    const understood = Number(r.stdout.trim());
    if (r.exitCode !== 0 || !Number.isInteger(understood)) throw new WizardError('EXEC', `could not ask Synapse for its schema version: ${formatArgv(ctx.exec.wrap(ASK))}: ${(r.spawnError ?? r.stderr).trim().split('\n').pop()}`);
    if (c.compat <= understood) return undefined;
    return {
      id: this.id,
      title: this.title,
      evidence: `${c.where} has schema_compat_version ${c.compat}; the Synapse at ${formatArgv(ctx.exec.wrap([])) || 'this host'} understands schema versions up to ${understood}.`,
      cause: 'A newer Synapse wrote this database; an older Synapse (or the port script of one) refuses it.',
      fix: 'run (and port with) the same or a newer Synapse than the one that wrote the database; never downgrade below its schema',
      needsSynapseStopped: false,
      plan: [],
    };
  },
  fromText: () => ({ cause: 'The Synapse running (or the port script) is older than the schema in the database.', fix: 'port with the same or a newer Synapse than the one that wrote the file' }),
};
