// FAILURES 22: "Found users in database not native to ...": Synapse compares the domain of one user with server_name, as here.
import { existsSync } from 'node:fs';
import { openReadOnly } from '../adapters/sqlite.js';
import { requireDoctorAdmin, type DoctorContext } from './context.js';
import type { Diagnosis } from './types.js';
import { ERROR_TEXTS } from '../synapse/known-errors.js';

/** Synapse's check_database_before_upgrade: SELECT name FROM users LIMIT 1, domain after the first colon. */
async function firstUser(ctx: DoctorContext): Promise<{ name: string; where: string } | undefined> {
  if (ctx.onPostgres) {
    const admin = requireDoctorAdmin(ctx);
    const [t] = await admin.query<{ ok: boolean }>(`SELECT to_regclass('public.users') IS NOT NULL AS ok`, ctx.target.dbname);
    if (!t?.ok) return undefined;
    const [u] = await admin.query<{ name: string }>('SELECT name FROM users LIMIT 1', ctx.target.dbname);
    return u && { name: u.name, where: `PostgreSQL database ${ctx.target.dbname}` };
  }
  if (!ctx.sqlitePath || !existsSync(ctx.sqlitePath)) return undefined;
  const db = openReadOnly(ctx.sqlitePath);
  try {
    if (!db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'users'`).get()) return undefined;
    const u = db.prepare('SELECT name FROM users LIMIT 1').get() as { name: string } | undefined;
    return u && { name: u.name, where: ctx.sqlitePath };
  } finally {
    db.close();
  }
}

export const serverName: Diagnosis = {
  id: 'server-name',
  rank: 62,
  title: 'server_name differs from the one the data was created with',
  patterns: ERROR_TEXTS.serverName,
  canCheck: (ctx) => (ctx.onPostgres ? !ctx.adminError : !!ctx.sqlitePath && existsSync(ctx.sqlitePath)),
  async diagnose(ctx) {
    const configured = ctx.config?.merged.server_name;
    if (typeof configured !== 'string') return undefined;
    const u = await firstUser(ctx);
    if (!u) return undefined;
    const domain = u.name.slice(u.name.indexOf(':') + 1);
    if (domain === configured) return undefined;
    return {
      id: this.id,
      title: this.title,
      evidence: `server_name in the config is ${configured}, but the users in ${u.where} belong to ${domain} (first user ${u.name}).`,
      cause: 'User ids, room ids and signatures carry the server name; Synapse refuses to start on data from another server_name.',
      fix: `set server_name back to ${domain} in the config (it can never be changed after Synapse has been set up; a new name needs a new, empty database)`,
      needsSynapseStopped: false,
      plan: [],
    };
  },
  fromText: () => ({ cause: "The config's server_name differs from the one the data was created with.", fix: 'use the original server_name (the domain of the existing user ids)' }),
};
