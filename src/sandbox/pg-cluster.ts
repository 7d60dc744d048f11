// A throwaway PostgreSQL cluster (initdb + pg_ctl as the postgres OS user) that the practice homeserver is moved to.
import { existsSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createExecutor, formatArgv } from '../adapters/exec.js';
import { WizardError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';

const PG_VERSIONS = ['17', '16', '15', '14'];

export interface PgClusterInfo {
  /** Temp dir holding data/, the socket and server.log; owned by postgres. */
  dir: string;
  dataDir: string;
  binDir: string;
  host: '127.0.0.1';
  port: number;
  socketDir: string;
  superuser: 'postgres';
  logFile: string;
}

const asPostgres = createExecutor({ kind: 'user', user: 'postgres', via: 'runuser' });

export function findPgBinDir(): string {
  for (const v of PG_VERSIONS) {
    const d = `/usr/lib/postgresql/${v}/bin`;
    if (existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl'))) return d;
  }
  throw new WizardError('BLOCKED', 'PostgreSQL server binaries (initdb, pg_ctl) were not found under /usr/lib/postgresql/*/bin', {
    hint: 'Install them with: apt-get install -y postgresql',
  });
}

async function must(argv: string[], what: string, opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await asPostgres.run(argv, { timeoutMs: opts.timeoutMs ?? 120_000, input: opts.input });
  if (r.exitCode !== 0) {
    throw new WizardError('PG_QUERY', `${what} failed: ${r.spawnError ?? r.stderr.trim().split('\n').slice(-3).join(' ')}`, {
      hint: `Run it by hand to see why: ${formatArgv(asPostgres.wrap(argv))}`,
    });
  }
  return r.stdout;
}

async function ownedByPostgres(path: string): Promise<void> {
  const r = await asPostgres.run(['id', '-u'], { timeoutMs: 10_000 });
  const g = await asPostgres.run(['id', '-g'], { timeoutMs: 10_000 });
  if (r.exitCode !== 0) throw new WizardError('BLOCKED', 'there is no postgres OS user', { hint: 'Install PostgreSQL with: apt-get install -y postgresql' });
  await chown(path, Number(r.stdout.trim()), Number(g.stdout.trim()));
}

/** Starts a cluster on a free port with a Debian-like pg_hba.conf (peer locally, scram-sha-256 over TCP) and a superuser password. */
export async function startPgCluster(opts: { port: number; superuserPassword: string; locale?: string }): Promise<PgClusterInfo> {
  const binDir = findPgBinDir();
  registerSecret(opts.superuserPassword);
  const dir = await mkdtemp(join(tmpdir(), 'synapse-pg-sandbox-pg-'));
  await ownedByPostgres(dir);
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const info: PgClusterInfo = { dir, dataDir, binDir, host: '127.0.0.1', port: opts.port, socketDir: dir, superuser: 'postgres', logFile };
  try {
    // C.UTF-8 by default, like many real installs: the locale Synapse refuses, so the wizard's fix gets practised too.
    await must([join(binDir, 'initdb'), '-D', dataDir, '-E', 'UTF8', `--locale=${opts.locale ?? 'C.UTF-8'}`, '--auth-local=peer', '--auth-host=scram-sha-256', '-U', 'postgres'], 'initdb');
    const hba = ['local all all peer', 'host all all 127.0.0.1/32 scram-sha-256', 'host all all ::1/128 scram-sha-256', ''].join('\n');
    await writeFile(join(dataDir, 'pg_hba.conf'), hba);
    await ownedByPostgres(join(dataDir, 'pg_hba.conf'));
    const conf = join(dataDir, 'postgresql.conf');
    const extra = `\nport = ${opts.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '${dir}'\nfsync = off\nsynchronous_commit = off\nshared_buffers = 32MB\nmax_connections = 50\n`;
    await writeFile(conf, (await readFile(conf, 'utf8')) + extra);
    await must([join(binDir, 'pg_ctl'), '-D', dataDir, '-l', logFile, '-w', '-t', '60', 'start'], 'pg_ctl start');
    // The password travels on stdin, never in argv.
    await must([join(binDir, 'psql'), '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', dir, '-p', String(opts.port), '-d', 'postgres', '-f', '-'], 'setting the superuser password', {
      input: `ALTER ROLE postgres PASSWORD '${opts.superuserPassword.replace(/'/g, "''")}';\n`,
    });
    return info;
  } catch (e) {
    await stopPgCluster(info);
    throw e;
  }
}

export async function pgClusterRunning(info: PgClusterInfo): Promise<boolean> {
  if (!existsSync(join(info.dataDir, 'postmaster.pid'))) return false;
  const r = await asPostgres.run([join(info.binDir, 'pg_ctl'), '-D', info.dataDir, 'status'], { timeoutMs: 10_000 });
  return r.exitCode === 0;
}

/** Stops the cluster (fast shutdown) and removes its directory; safe to call twice. */
export async function stopPgCluster(info: PgClusterInfo): Promise<void> {
  if (existsSync(join(info.dataDir, 'postmaster.pid'))) {
    await asPostgres.run([join(info.binDir, 'pg_ctl'), '-D', info.dataDir, '-m', 'fast', '-w', '-t', '60', 'stop'], { timeoutMs: 90_000 });
  }
  if (info.dir.startsWith(join(tmpdir(), 'synapse-pg-sandbox-pg-'))) await rm(info.dir, { recursive: true, force: true });
}
