// FAILURES 9: "libpq.so.5: cannot open shared object file", or no psycopg2 at all: asked of the Python that runs Synapse's tools.
import { formatArgv } from '../adapters/exec.js';
import { WizardError } from '../core/errors.js';
import type { Diagnosis } from './types.js';

const ASK = ['python3', '-c', 'import psycopg2; print(psycopg2.__libpq_version__)'];

export const psycopg2: Diagnosis = {
  id: 'libpq-missing',
  rank: 12,
  title: 'The PostgreSQL client library or psycopg2 is missing',
  patterns: [/libpq\.so\.\d+: cannot open shared object file/, /No module named '?psycopg2'?/],
  // only where Synapse's tools were named (--synapse-exec, --service): the doctor asks their Python
  canCheck: (ctx) => ctx.opts.serviceGiven,
  async diagnose(ctx) {
    if (!ctx.opts.serviceGiven || !ctx.config) return undefined;
    const r = await ctx.exec.run(ASK, { timeoutMs: 60_000 });
    if (r.exitCode === 0) return undefined;
    const last = (r.spawnError ?? r.stderr).trim().split('\n').pop() ?? '';
    if (!/ImportError|ModuleNotFoundError/.test(last)) throw new WizardError('EXEC', `could not ask Synapse's Python about psycopg2: ${formatArgv(ctx.exec.wrap(ASK))}: ${last}`);
    const lib = /libpq\.so/.test(last);
    return {
      id: this.id,
      title: this.title,
      evidence: `${formatArgv(ctx.exec.wrap(ASK))} fails: ${last}`,
      cause: lib ? 'psycopg2 is installed, but the libpq shared library it links against is not.' : "Synapse talks to PostgreSQL through psycopg2, which a plain Synapse install (or virtualenv) does not include.",
      fix: lib ? 'apt install libpq5 (or your distribution\'s libpq package)' : 'install it where Synapse runs: apt install python3-psycopg2 for the Debian package, pip install "matrix-synapse[postgres]" in a virtualenv',
      needsSynapseStopped: false,
      plan: [],
    };
  },
  fromText: () => ({ cause: 'Synapse talks to PostgreSQL through psycopg2, which needs libpq; neither comes with a plain Synapse install.', fix: 'apt install libpq5 (Debian/Ubuntu), and in a virtualenv pip install "matrix-synapse[postgres]"' }),
};
