// Restarting PostgreSQL for settings whose pg_settings.context is 'postmaster' (listen_addresses, shared_buffers).
import { existsSync } from 'node:fs';
import { createExecutor, formatArgv } from '../adapters/exec.js';
import { WizardError } from '../core/errors.js';
import type { PgAdminSpec } from '../adapters/pg-admin.js';
import type { DoctorContext } from './context.js';

/** The argv that restarts this cluster, or undefined when the doctor cannot (a URL admin connection: a managed or remote server). */
export function restartArgv(ctx: DoctorContext): string[] | undefined {
  const spec: PgAdminSpec = ctx.setup.opts.pgAdmin;
  const server = ctx.setup.server;
  if (!server) return undefined;
  if (spec.kind === 'docker') return ['docker', 'restart', spec.container];
  if (spec.kind !== 'local') return undefined;
  const data = server.dataDirectory;
  if (!data) return undefined;
  const major = Math.floor(server.versionNum / 10000);
  const debian = /^\/var\/lib\/postgresql\/(\d+)\/([^/]+)$/.exec(data);
  if (debian && existsSync(`/etc/postgresql/${debian[1]}/${debian[2]}`) && existsSync('/usr/bin/pg_ctlcluster')) return ['pg_ctlcluster', debian[1]!, debian[2]!, 'restart'];
  const pgCtl = `/usr/lib/postgresql/${major}/bin/pg_ctl`;
  // -l: the restarted server must not keep the doctor's output pipe open
  return ['runuser', '-u', 'postgres', '--', pgCtl, '-D', data, '-l', `${data}/synapse-pg-doctor-restart.log`, '-m', 'fast', '-w', '-t', '120', 'restart'];
}

export async function restartPostgres(ctx: DoctorContext): Promise<string> {
  const argv = restartArgv(ctx);
  if (!argv) throw new WizardError('BLOCKED', 'The doctor cannot restart this PostgreSQL server (reached by URL).', { hint: 'Restart it yourself (systemctl restart postgresql, or your provider\'s console), then run the doctor again.' });
  const r = await createExecutor({ kind: 'local' }).run(argv, { timeoutMs: 180_000 });
  if (r.exitCode !== 0) throw new WizardError('EXEC', `Restarting PostgreSQL failed: ${formatArgv(argv)}: ${(r.spawnError ?? r.stderr).trim().split('\n').slice(-3).join(' ')}`, { hint: 'Restart it yourself and check its log.' });
  // the admin connection comes back once the server accepts connections again
  for (let i = 0; i < 60; i++) {
    try {
      await ctx.setup.admin!.query('SELECT 1');
      return `Restarted PostgreSQL (${formatArgv(argv)}).`;
    } catch {
      await new Promise((res) => setTimeout(res, 500));
    }
  }
  throw new WizardError('PG_UNREACHABLE', 'PostgreSQL did not come back after the restart.', { hint: 'Check its log.' });
}
