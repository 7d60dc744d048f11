// pg_dump and pg_restore as Synapse's role: the password reaches them only through PGPASSWORD in their environment, never argv.
import { runArgv, type ExecResult } from '../adapters/exec.js';
import type { SynapseDbArgs } from '../adapters/pg-login.js';
import { libpqTlsEnv } from '../adapters/pg-tls.js';
import { WizardError } from '../core/errors.js';

/** Synapse's docs advise leaving out the data of this table: one-time keys must not be used twice, so a restore must not bring old ones back. */
export const EXCLUDED_DATA = ['e2e_one_time_keys_json'];

function conn(a: SynapseDbArgs): string[] {
  return ['-h', a.host, '-p', String(a.port), '-U', a.user, '-w'];
}

export function pgDumpArgv(a: SynapseDbArgs, file: string, snapshot?: string): string[] {
  return ['pg_dump', '-Fc', ...conn(a), ...EXCLUDED_DATA.map((t) => `--exclude-table-data=public.${t}`), ...(snapshot ? [`--snapshot=${snapshot}`] : []), '-f', file, a.dbname];
}

export function pgRestoreListArgv(file: string): string[] {
  return ['pg_restore', '--list', file];
}

export function pgRestoreArgv(a: SynapseDbArgs, database: string, file: string): string[] {
  return ['pg_restore', ...conn(a), '--no-owner', '--exit-on-error', '-d', database, file];
}

export async function runPgTool(argv: string[], a: SynapseDbArgs | undefined, signal: AbortSignal, timeoutMs = 6 * 3600_000): Promise<ExecResult> {
  const r = await runArgv(argv, { env: a ? { PGPASSWORD: a.password, ...libpqTlsEnv(a) } : undefined, signal, timeoutMs });
  if (r.spawnError || r.exitCode === 127) {
    throw new WizardError('EXEC', `${argv[0]} could not be started: ${r.spawnError ?? r.stderr.trim()}`, { hint: 'Install the PostgreSQL client tools: apt-get install postgresql-client' });
  }
  if (r.isCanceled) throw new WizardError('CANCELLED', `${argv[0]} was stopped at your request.`);
  if (r.exitCode !== 0) {
    const text = r.stderr.trim().split('\n').slice(-4).join('\n');
    const hint = /server version mismatch/.test(text)
      ? 'Install the client tools of the server\'s major version (apt-get install postgresql-client-NN) so pg_dump is at least as new as the server.'
      : 'Read the message above; run the command by hand with the same flags to see more.';
    throw new WizardError('EXEC', `${argv[0]} failed (exit ${r.exitCode}): ${text}`, { hint });
  }
  return r;
}

export interface ArchiveEntry {
  kind: 'TABLE' | 'TABLE DATA';
  table: string;
}

/** The tables and table data a -Fc archive holds, from `pg_restore --list` (";" lines are comments). */
export function parseRestoreList(text: string): ArchiveEntry[] {
  const out: ArchiveEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith(';')) continue;
    const m = /^\d+;\s+\d+\s+\d+\s+(TABLE DATA|TABLE)\s+public\s+(\S+)\s/.exec(line);
    if (m) out.push({ kind: m[1] as ArchiveEntry['kind'], table: m[2]! });
  }
  return out;
}
