// FAILURES 8: "Synapse requires PostgreSQL 14 or above." -- asked over the exact connection Synapse uses, not the admin's.
import { MIN_PG_VERSION_NUM } from '../setup/steps/pg-admin.js';
import { tryLogin } from './login.js';
import type { Diagnosis } from './types.js';
import { ERROR_TEXTS } from '../synapse/known-errors.js';

export const pgVersion: Diagnosis = {
  id: 'pg-too-old',
  rank: 10,
  title: 'PostgreSQL older than 14',
  patterns: ERROR_TEXTS.pgTooOld,
  async diagnose(ctx) {
    const r = await tryLogin(ctx);
    if (r.ok !== true) return undefined;
    const old = r.logins.find((l) => l.serverVersionNum < MIN_PG_VERSION_NUM);
    if (!old) return undefined;
    return {
      id: this.id,
      title: this.title,
      evidence: `SHOW server_version_num over Synapse's own connection (${ctx.target.host}:${ctx.target.port}, address ${old.address}) says ${old.serverVersionNum}.`,
      cause: 'Synapse 1.160 refuses PostgreSQL below 14. Often the server is newer, but Synapse reaches another cluster or port than the admin thinks.',
      fix: `upgrade that cluster (pg_upgradecluster on Debian), or point database.args host/port at the PostgreSQL 14+ cluster`,
      needsSynapseStopped: true,
      plan: [],
    };
  },
  fromText: () => ({
    cause: 'Synapse reached a PostgreSQL server older than 14, perhaps another cluster or port than the one the admin upgraded.',
    fix: "compare SHOW server_version_num over the exact host/port in database.args with the cluster you expect; fix the port or upgrade",
  }),
};
