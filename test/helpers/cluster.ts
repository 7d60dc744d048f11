// Throwaway PostgreSQL clusters for tests: initdb + pg_ctl as the postgres OS user, on a temp dir and a free port.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, chownSync, existsSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import pg from 'pg';

const PG_BIN_CANDIDATES = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/14/bin'];

export function pgBinDir(): string {
  for (const d of PG_BIN_CANDIDATES) if (existsSync(join(d, 'initdb'))) return d;
  throw new Error('PostgreSQL server binaries (initdb, pg_ctl) not found. Install them with: apt-get install -y postgresql');
}

export const HBA_DEBIAN = `# Debian's default pg_hba.conf (abridged comments)
# TYPE  DATABASE        USER            ADDRESS                 METHOD

# Database administrative login by Unix domain socket
local   all             postgres                                peer

# "local" is for Unix domain socket connections only
local   all             all                                     peer
# IPv4 local connections:
host    all             all             127.0.0.1/32            scram-sha-256
# IPv6 local connections:
host    all             all             ::1/128                 scram-sha-256
# Allow replication connections from localhost, by a user with the
# replication privilege.
local   replication     all                                     peer
host    replication     all             127.0.0.1/32            scram-sha-256
host    replication     all             ::1/128                 scram-sha-256
`;

export const HBA_RHEL_IDENT = `# PostgreSQL Client Authentication Configuration File (RHEL/CentOS style)
# TYPE  DATABASE        USER            ADDRESS                 METHOD

# "local" is for Unix domain socket connections only
local   all             all                                     peer
# IPv4 local connections:
host    all             all             127.0.0.1/32            ident
# IPv6 local connections:
host    all             all             ::1/128                 ident
# Allow replication connections from localhost, by a user with the
# replication privilege.
local   replication     all                                     peer
host    replication     all             127.0.0.1/32            ident
host    replication     all             ::1/128                 ident
`;

export interface Cluster {
  dir: string;
  port: number;
  socketDir: string;
  hbaFile: string;
  /** Environment a client needs to reach this cluster as the postgres OS user (libpq's PGHOST/PGPORT). */
  env: { PGHOST: string; PGPORT: string };
  /** Runs SQL through psql as the postgres OS user; returns unaligned tuples-only output. */
  psql(sql: string, db?: string): string;
  stop(): void;
  /** Stops the server only (pg_ctl stop -m fast), keeping its files: a "PostgreSQL is down" host. */
  stopServer(): void;
  /** Starts it again after stopServer(). */
  startServer(): void;
}

export interface ClusterOptions {
  hba?: string;
  /** Locale of template1 (initdb --locale). Defaults to C.UTF-8, like many real installs: the trap Synapse refuses. */
  locale?: string;
  extraConf?: string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function asPostgres(cmd: string, args: string[], input?: string): string {
  return execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], {
    input,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  if (process.getuid?.() !== 0) throw new Error('Tests that start PostgreSQL clusters must run as root (they use runuser -u postgres).');
  const bin = pgBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'spgw-pg-'));
  chownSync(dir, uidOf('postgres'), gidOf('postgres'));
  const data = join(dir, 'data');
  const port = await freePort();
  asPostgres(join(bin, 'initdb'), ['-D', data, '-E', 'UTF8', `--locale=${opts.locale ?? 'C.UTF-8'}`, '--auth-local=peer', '--auth-host=scram-sha-256', '-U', 'postgres']);
  const hbaFile = join(data, 'pg_hba.conf');
  writeFileSync(hbaFile, opts.hba ?? HBA_DEBIAN);
  chownSync(hbaFile, uidOf('postgres'), gidOf('postgres'));
  const conf = join(data, 'postgresql.conf');
  writeFileSync(
    conf,
    readFileSync(conf, 'utf8') +
      `\nport = ${port}\nlisten_addresses = '127.0.0.1,::1'\nunix_socket_directories = '${dir}'\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\nshared_buffers = 32MB\nmax_connections = 50\n${opts.extraConf ?? ''}\n`,
  );
  asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  const env = { PGHOST: dir, PGPORT: String(port) };
  const cluster: Cluster = {
    dir,
    port,
    socketDir: dir,
    hbaFile,
    env,
    psql(sql: string, db = 'postgres') {
      return asPostgres(join(bin, 'psql'), ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', dir, '-p', String(port), '-d', db, '-f', '-'], sql).trim();
    },
    stopServer() {
      asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']);
    },
    startServer() {
      asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
    },
    stop() {
      spawnSync('runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop'], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}

function uidOf(user: string): number {
  return Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
}
function gidOf(user: string): number {
  return Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
}

/** Logs in over TCP exactly as Synapse would, returning current_user; rejects with PostgreSQL's own error text. */
export async function loginAs(c: Cluster, host: string, user: string, password: string, database = 'synapse'): Promise<string> {
  const client = new pg.Client({ host, port: c.port, user, password, database, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.query('SELECT current_user AS u')).rows[0].u;
  } finally {
    await client.end().catch(() => undefined);
  }
}
