// Synapse's own database connection (host, port, role, password from database.args): what maintenance reads and vacuums through.
import pg from 'pg';
import { pgErrorToWizard } from '../adapters/pg-errors.js';
import type { SynapseDbArgs } from '../adapters/pg-login.js';
import { nodePgSsl } from '../adapters/pg-tls.js';
import { isWizardError } from '../core/errors.js';

export interface SynapseDb {
  readonly args: SynapseDbArgs;
  describe(): string;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], database?: string): Promise<T[]>;
  /** Runs fn on one connection (for a snapshot exported to pg_dump, or VACUUM outside a transaction). */
  withClient<T>(fn: (c: pg.Client) => Promise<T>, database?: string): Promise<T>;
}

export function createSynapseDb(args: SynapseDbArgs): SynapseDb {
  const describe = () => `${args.user}@${args.host}:${args.port}/${args.dbname}`;
  const withClient = async <T>(fn: (c: pg.Client) => Promise<T>, database = args.dbname): Promise<T> => {
    const c = new pg.Client({ host: args.host, port: args.port, user: args.user, password: args.password || undefined, database, connectionTimeoutMillis: 10_000, ssl: nodePgSsl(args, args.host) });
    c.on('error', () => undefined);
    try {
      await c.connect();
    } catch (e) {
      throw pgErrorToWizard(e, `${args.user}@${args.host}:${args.port}/${database}`);
    }
    try {
      return await fn(c);
    } catch (e) {
      throw isWizardError(e) ? e : pgErrorToWizard(e, describe());
    } finally {
      await c.end().catch(() => undefined);
    }
  };
  return {
    args,
    describe,
    withClient,
    query: (sql, params, database) => withClient(async (c) => (await c.query(sql, params)).rows, database),
  };
}
