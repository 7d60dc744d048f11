// Reaching PostgreSQL as a superuser: psql through an exec prefix (local OS user, docker), or the pg client for a URL.
import pg from 'pg';
import { WizardError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';
import { createExecutor, type Executor } from './exec.js';
import { pgErrorToWizard } from './pg-errors.js';
import { nodePgSsl, tlsFromUrl, type PgTls } from './pg-tls.js';

export interface PgAdmin {
  /** How the wizard reaches the server, for messages ("psql as the postgres OS user via runuser"). */
  describe(): string;
  query<T = Record<string, unknown>>(sql: string, database?: string): Promise<T[]>;
  /** Runs statements (no result). */
  exec(sql: string, database?: string): Promise<void>;
  /** The argv that statements run through (for plans); undefined for in-process clients. */
  commandFor(database?: string): string[] | undefined;
  close(): Promise<void>;
}

/** A url admin's tls: --db-sslmode/--db-sslrootcert (sslmode/sslrootcert in the URL itself win). */
export type PgAdminSpec = { kind: 'local' } | { kind: 'url'; url: string; tls?: PgTls } | { kind: 'docker'; container: string; user: string };

export function parsePgAdminSpec(spec: string): PgAdminSpec {
  if (spec === 'local') return { kind: 'local' };
  if (spec.startsWith('url:')) {
    const url = spec.slice(4);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new WizardError('BAD_INPUT', '--pg-admin url: is not a valid URL.', { hint: 'Example: --pg-admin url:postgresql://postgres@db.example.org:5432/postgres (put the password in PGPASSWORD or ~/.pgpass, not on the command line).' });
    }
    if (!/^postgres(ql)?:$/.test(parsed.protocol)) throw new WizardError('BAD_INPUT', '--pg-admin url: must start with postgresql://', { hint: 'Example: --pg-admin url:postgresql://postgres@localhost:5432/postgres' });
    if (parsed.password) registerSecret(decodeURIComponent(parsed.password));
    return { kind: 'url', url };
  }
  if (spec.startsWith('docker:')) {
    const [container, user] = spec.slice(7).split(':');
    if (!container) throw new WizardError('BAD_INPUT', '--pg-admin docker: needs a container name.', { hint: 'Example: --pg-admin docker:synapse-db' });
    return { kind: 'docker', container, user: user || 'postgres' };
  }
  throw new WizardError('BAD_INPUT', `--pg-admin "${spec}" is not understood.`, { hint: 'Use --pg-admin local, --pg-admin url:postgresql://..., or --pg-admin docker:CONTAINER' });
}

export function createPgAdmin(spec: PgAdminSpec, env: NodeJS.ProcessEnv = process.env): PgAdmin {
  if (spec.kind === 'url') return new UrlAdmin(spec.url, spec.tls);
  if (spec.kind === 'docker') {
    const ex = createExecutor({ kind: 'docker', container: spec.container });
    return new PsqlAdmin(ex, ['-U', spec.user], `psql in container ${spec.container} as ${spec.user}`);
  }
  const isRoot = process.getuid?.() === 0;
  const runningAsPostgres = process.env.USER === 'postgres' || process.getuid?.() === undefined;
  const ex = runningAsPostgres
    ? createExecutor({ kind: 'local' })
    : createExecutor({ kind: 'user', user: 'postgres', via: isRoot ? 'runuser' : 'sudo' });
  // sudo resets the environment, so libpq's PGHOST/PGPORT are passed as flags.
  const conn = [...(env.PGHOST ? ['-h', env.PGHOST] : []), ...(env.PGPORT ? ['-p', env.PGPORT] : [])];
  const how = runningAsPostgres ? 'psql' : `psql as the postgres OS user (${isRoot ? 'runuser' : 'sudo'})`;
  return new PsqlAdmin(ex, conn, `${how}${env.PGHOST || env.PGPORT ? ` on ${env.PGHOST ?? 'default socket'}:${env.PGPORT ?? '5432'}` : ''}`);
}

class PsqlAdmin implements PgAdmin {
  constructor(private ex: Executor, private connArgs: string[], private how: string) {}
  describe() {
    return this.how;
  }
  commandFor(database = 'postgres') {
    return this.ex.wrap(['psql', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', ...this.connArgs, '-d', database, '-f', '-']);
  }
  async query<T>(sql: string, database?: string): Promise<T[]> {
    const out = await this.run(`SELECT coalesce(json_agg(q), '[]'::json) FROM (${sql}) q;`, database);
    try {
      return JSON.parse(out.trim() || '[]') as T[];
    } catch (e) {
      throw new WizardError('PG_QUERY', `Unexpected output from psql: ${out.slice(0, 200)}`, { cause: e });
    }
  }
  async exec(sql: string, database?: string): Promise<void> {
    await this.run(sql, database);
  }
  async close() {}
  private async run(sql: string, database?: string): Promise<string> {
    const argv = this.commandFor(database).slice(this.ex.wrap([]).length);
    const r = await this.ex.run(argv, { input: sql, timeoutMs: 120_000 });
    if (r.spawnError || r.exitCode === 127 || /failed to execute|command not found|executable file not found/.test(r.stderr)) {
      throw new WizardError('PG_UNREACHABLE', `Could not run psql (${this.how}): ${r.spawnError ?? r.stderr.trim()}`, {
        hint: 'Install the PostgreSQL client (apt-get install postgresql-client), or use --pg-admin url:postgresql://... to connect directly.',
      });
    }
    if (r.exitCode !== 0) throw psqlError(r.stderr, this.how);
    return r.stdout;
  }
}

function psqlError(stderr: string, how: string): WizardError {
  const text = stderr.trim();
  const err = /(?:ERROR|FATAL):\s+(.*)/.exec(text);
  if (/connection to server|could not connect|No such file or directory|Connection refused/.test(text) && !/ERROR:/.test(text)) {
    return new WizardError('PG_UNREACHABLE', `PostgreSQL is not reachable (${how}): ${text.split('\n')[0]}`, {
      hint: 'Is PostgreSQL running (systemctl status postgresql)? If it listens elsewhere, set PGHOST/PGPORT, or use --pg-admin url:postgresql://...',
    });
  }
  if (/Peer authentication failed|role "postgres" does not exist|password authentication failed/.test(text)) {
    return new WizardError('PG_NOT_SUPERUSER', `Could not log in as a superuser (${how}): ${err?.[1] ?? text}`, {
      hint: 'Run the wizard as root (or with sudo rights to the postgres user), or pass --pg-admin url:postgresql://SUPERUSER@HOST/postgres.',
    });
  }
  return new WizardError('PG_QUERY', err ? err[1]! : text, { hint: undefined });
}

class UrlAdmin implements PgAdmin {
  private url: string;
  private tls: PgTls | undefined;
  constructor(url: string, tls?: PgTls) {
    const own = tlsFromUrl(url);
    this.url = own.url;
    this.tls = own.tls.sslmode ? own.tls : tls;
  }
  describe() {
    const u = new URL(this.url);
    return `${u.username || 'default user'}@${u.hostname || 'local socket'}:${u.port || '5432'}${this.tls?.sslmode ? ` (sslmode ${this.tls.sslmode})` : ''}`;
  }
  commandFor() {
    return undefined;
  }
  private async client(database?: string): Promise<pg.Client> {
    // pg lets the connection string's database win over a `database` option, so the database goes into the URL itself.
    const url = new URL(this.url);
    if (database) url.pathname = `/${encodeURIComponent(database)}`;
    const c = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 10_000, ssl: nodePgSsl(this.tls, url.hostname.replace(/^\[|\]$/g, '')) });
    c.on('error', () => undefined);
    try {
      await c.connect();
    } catch (e) {
      throw pgErrorToWizard(e, `the admin connection ${this.describe()}`);
    }
    return c;
  }
  async query<T>(sql: string, database?: string): Promise<T[]> {
    const c = await this.client(database);
    try {
      return (await c.query(sql)).rows as T[];
    } catch (e) {
      throw pgErrorToWizard(e, this.describe());
    } finally {
      await c.end().catch(() => undefined);
    }
  }
  async exec(sql: string, database?: string): Promise<void> {
    await this.query(sql, database);
  }
  async close() {}
}
