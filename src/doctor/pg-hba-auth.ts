// FAILURES 1 (and "no pg_hba.conf entry"): an ident/peer/reject line matches Synapse's TCP login first; setup's pg-hba step inserts the password line before it.
import { quietStepContext } from '../core/step.js';
import { pgHba } from '../setup/steps/pg-hba.js';
import { loginProof, tryLogin } from './login.js';
import type { Diagnosis } from './types.js';
import { requireServer } from './context.js';
import { ERROR_TEXTS } from '../synapse/known-errors.js';


export const pgHbaAuth: Diagnosis = {
  id: 'pg-hba-auth',
  rank: 40,
  title: "pg_hba.conf does not let Synapse log in with its password",
  patterns: ERROR_TEXTS.hbaRejected,
  async diagnose(ctx) {
    if (!ctx.onPostgres || !ctx.target.host || ctx.target.host.startsWith('/') || ctx.target.password === undefined) return undefined;
    // without a superuser connection pg_hba.conf cannot be located: say so instead of failing on its missing path
    requireServer(ctx);
    ctx.setup.opts.dbHost = ctx.target.host;
    const c = await pgHba.check(ctx.setup, quietStepContext());
    if (c.status === 'blocked') {
      // pg_hba.conf cannot be planned here (not root, a remote server): still say so when the login itself is refused by it
      const login = await tryLogin(ctx);
      if (login.ok !== false || !/Ident authentication failed|no pg_hba\.conf entry|Peer authentication failed/.test(login.error.message)) return undefined;
      return {
        id: this.id,
        title: this.title,
        evidence: `Logging in as Synapse does fails: ${login.error.message} The doctor cannot edit pg_hba.conf here: ${c.message}`,
        cause: "PostgreSQL uses the first pg_hba.conf line that matches; an ident (or peer/reject) line above any password line decides Synapse's login.",
        fix: c.hint ?? `insert "host ${ctx.target.dbname} ${ctx.target.user} <Synapse's address>/32 scram-sha-256" before the line that matches now, then reload PostgreSQL`,
        needsSynapseStopped: false,
        plan: [],
      };
    }
    if (c.status !== 'needed') return undefined;
    const login = await tryLogin(ctx);
    const seen = login.ok === false ? ` Logging in as Synapse does fails: ${login.error.message}` : '';
    return {
      id: this.id,
      title: this.title,
      evidence: `${c.message}${seen}`,
      cause: 'PostgreSQL uses the first pg_hba.conf line that matches; an ident (or peer/reject) line above any password line decides Synapse\'s login.',
      fix: `insert a scram-sha-256 line for ${ctx.target.dbname}/${ctx.target.user} before the line that matches now, check pg_hba_file_rules, reload`,
      needsSynapseStopped: false,
      plan: c.plan,
      apply: async (sc) => pgHba.apply(ctx.setup, sc),
      verify: () => loginProof(ctx),
    };
  },
  fromText: () => ({
    cause: 'An ident line in pg_hba.conf matched Synapse\'s TCP login before any password line (or no line matched at all).',
    fix: 'add "host DB USER 127.0.0.1/32 scram-sha-256" (and ::1/128) before the ident catch-all, then reload PostgreSQL',
  }),
};
