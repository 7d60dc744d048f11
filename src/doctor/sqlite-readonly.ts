// FAILURES 14: "attempt to write a readonly database": synapse_port_db writes to the SQLite file it ports, as the user its tools run as
// (uid 991 in the Docker image). Asked of the named tools: may that user write the file and its directory?
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatArgv } from '../adapters/exec.js';
import type { Diagnosis } from './types.js';
import { ERROR_TEXTS } from '../synapse/known-errors.js';

export const sqliteReadonly: Diagnosis = {
  id: 'sqlite-readonly',
  rank: 68,
  title: "Synapse's tools may not write the SQLite file",
  patterns: ERROR_TEXTS.sqliteReadonly,
  canCheck: (ctx) => ctx.opts.serviceGiven && !ctx.onPostgres && !!ctx.sqlitePath && existsSync(ctx.sqlitePath),
  async diagnose(ctx) {
    if (!ctx.opts.serviceGiven || ctx.onPostgres || !ctx.sqlitePath || !existsSync(ctx.sqlitePath)) return undefined;
    const file = ctx.exec.toInside(ctx.sqlitePath);
    const dir = ctx.exec.toInside(dirname(ctx.sqlitePath));
    // SQLite writes its journal next to the file, so the directory must be writable too
    const argv = ['sh', '-c', 'id -un; for p in "$@"; do [ -w "$p" ] || echo "not writable: $p"; done', 'sh', file, dir];
    const r = await ctx.exec.run(argv, { timeoutMs: 30_000 });
    const lines = r.stdout.trim().split('\n');
    const denied = lines.filter((l) => l.startsWith('not writable: '));
    if (r.exitCode !== 0 || !denied.length) return undefined;
    return {
      id: this.id,
      title: this.title,
      evidence: `As ${lines[0]} (${formatArgv(ctx.exec.wrap([]))  || 'this host'}): ${denied.map((d) => d.slice(14)).join(', ')} ${denied.length > 1 ? 'are' : 'is'} not writable.`,
      cause: 'synapse_port_db records schema bookkeeping in the SQLite file it ports, and SQLite needs the directory for its journal; the tools run as a user who may not write there (in Docker: uid 991).',
      fix: 'port a copy placed in a directory writable by that user (in Docker: chown 991:991 the copy and its directory), or make a read-only mount writable',
      needsSynapseStopped: false,
      plan: [],
    };
  },
  fromText: () => ({ cause: 'synapse_port_db writes to the SQLite file it ports; the directory is not writable by the user it runs as (Docker: uid 991).', fix: 'put the copy in a directory writable by that user, then run the port again' }),
};
