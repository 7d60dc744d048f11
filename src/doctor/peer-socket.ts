// FAILURES 2: no host in database.args, so libpq uses the Unix socket, where a peer/ident line wants OS user = role.
import { pgHba } from '../setup/steps/pg-hba.js';
import { applyDatabaseEdit, planDatabaseEdit } from './config-edit.js';
import { requireDoctorAdmin, type DoctorContext } from './context.js';
import { loginProof } from './login.js';
import type { Diagnosis } from './types.js';
import { ERROR_TEXTS } from '../synapse/known-errors.js';

interface Rule {
  line_number: number;
  database: string[];
  user_name: string[];
  auth_method: string;
}

/** The first `local` line PostgreSQL would use for Synapse's socket login (role membership (+role) counts as a match: conservative). */
async function firstLocalRule(ctx: DoctorContext): Promise<Rule | undefined> {
  const rules = await requireDoctorAdmin(ctx).query<Rule>(`SELECT line_number, database, user_name, auth_method FROM pg_hba_file_rules WHERE type = 'local' AND error IS NULL ORDER BY line_number`);
  const { dbname, user } = ctx.target;
  return rules.find((r) => (r.database ?? []).some((d) => d === 'all' || d === dbname || d === 'sameuser' || d === 'samerole') && (r.user_name ?? []).some((u) => u === 'all' || u === user || u.startsWith('+')));
}

export const peerSocket: Diagnosis = {
  id: 'peer-socket',
  rank: 45,
  title: 'Synapse connects through the Unix socket, where peer authentication fails',
  patterns: ERROR_TEXTS.peerFailed,
  async diagnose(ctx) {
    const host = ctx.target.host;
    if (!ctx.onPostgres || (host && !host.startsWith('/')) || ctx.target.password === undefined) return undefined;
    const rule = await firstLocalRule(ctx);
    if (!rule || !['peer', 'ident'].includes(rule.auth_method)) return undefined;
    const edit = planDatabaseEdit(ctx, (db) => ({ ...db, args: { ...db.args, host: 'localhost' } }));
    if (!edit) return undefined;
    return {
      id: this.id,
      title: this.title,
      evidence: `database.args has ${host ? `host: ${host} (a socket directory)` : 'no host'}, and the first pg_hba.conf line for local connections (line ${rule.line_number}) uses ${rule.auth_method}, which needs the OS user to be called ${ctx.target.user}.`,
      cause: 'Without host: libpq uses the Unix socket; peer authentication compares the OS user with the role and ignores the password.',
      fix: 'set host: localhost in database.args so Synapse logs in over TCP with its password, and make sure pg_hba.conf has a password line for it',
      needsSynapseStopped: false,
      restartSynapse: true,
      plan: [edit.action, { kind: 'note', text: 'then, if needed, insert a scram-sha-256 line for localhost into pg_hba.conf (as setup does) and reload' }],
      apply: async (sc) => {
        const done = await applyDatabaseEdit(ctx, edit);
        const c = await pgHba.check(ctx.setup, sc);
        if (c.status === 'needed') return `${done} ${await pgHba.apply(ctx.setup, sc)}`;
        return done;
      },
      verify: () => loginProof(ctx),
    };
  },
  fromText: () => ({ cause: 'Synapse used the Unix socket (no host: in database.args), where peer authentication wants the OS user to equal the role.', fix: 'set host: localhost in database.args (TCP with the password), with a scram-sha-256 line in pg_hba.conf' }),
};
