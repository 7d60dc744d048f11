// FAILURES 11: no TCP keepalives in database.args, so a dropped connection hangs Synapse for minutes.
import { applyDatabaseEdit, planDatabaseEdit } from './config-edit.js';
import { loginProof } from './login.js';
import type { Diagnosis } from './types.js';

export const KEEPALIVES = { keepalives_idle: 10, keepalives_interval: 10, keepalives_count: 3 } as const;

export const keepalives: Diagnosis = {
  id: 'keepalives',
  rank: 80,
  title: 'No TCP keepalives in database.args',
  patterns: [],
  async diagnose(ctx) {
    if (!ctx.onPostgres || !ctx.target.host || ctx.target.host.startsWith('/')) return undefined;
    const args = (ctx.config?.database?.args ?? {}) as Record<string, unknown>;
    const missing = Object.keys(KEEPALIVES).filter((k) => args[k] === undefined);
    if (!missing.length) return undefined;
    const edit = planDatabaseEdit(ctx, (db) => ({ ...db, args: { ...db.args, ...Object.fromEntries(missing.map((k) => [k, KEEPALIVES[k as keyof typeof KEEPALIVES]])) } }));
    if (!edit) return undefined;
    return {
      id: this.id,
      title: this.title,
      evidence: `database.args in ${edit.path} has no ${missing.join(', ')}.`,
      cause: 'Without keepalives a TCP connection dropped by a network blip or a firewall is noticed only after the kernel gives up (minutes); Synapse hangs meanwhile.',
      fix: `add ${missing.map((k) => `${k}: ${KEEPALIVES[k as keyof typeof KEEPALIVES]}`).join(', ')} to database.args, then restart Synapse`,
      severity: 'advice',
      needsSynapseStopped: false,
      restartSynapse: true,
      plan: [edit.action],
      apply: () => applyDatabaseEdit(ctx, edit),
      verify: () => loginProof(ctx),
    };
  },
};
