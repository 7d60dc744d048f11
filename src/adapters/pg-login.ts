// Logs in exactly as Synapse will (same host, port, role, password, database), once per address the host resolves to.
import { lookup } from 'node:dns/promises';
import pg from 'pg';
import { pgErrorToWizard } from './pg-errors.js';
import { nodePgSsl, type PgTls } from './pg-tls.js';

/** database.args as Synapse gets them; sslrootcert is the path on this host. */
export interface SynapseDbArgs extends PgTls {
  host: string;
  port: number;
  user: string;
  password: string;
  dbname: string;
}

export interface LoginResult {
  address: string;
  serverVersionNum: number;
  currentUser: string;
}

/** The addresses libpq will try for `host` (a socket directory stays as it is). */
export async function addressesFor(host: string): Promise<string[]> {
  if (host.startsWith('/')) return [host];
  const all = await lookup(host, { all: true, verbatim: true });
  return [...new Set(all.map((a) => a.address))];
}

/** Connects and runs a query; throws a WizardError (PG_AUTH, PG_UNREACHABLE...) saying what failed and how to fix it. */
export async function loginOnce(args: SynapseDbArgs, address: string, timeoutMs = 10_000): Promise<LoginResult> {
  const ssl = nodePgSsl(args, args.host);
  // libpq's default (prefer), which is what Synapse gets without sslmode: TLS without checks when the server offers it, else plain
  const prefer = ssl === undefined && !address.startsWith('/');
  try {
    return await attempt(args, address, timeoutMs, prefer ? { rejectUnauthorized: false } : ssl);
  } catch (e) {
    if (!prefer || !/does not support SSL/i.test(String((e as Error).message))) throw pgErrorToWizard(e, `${args.user}@${address}:${args.port}/${args.dbname}`);
  }
  try {
    return await attempt(args, address, timeoutMs, undefined);
  } catch (e) {
    throw pgErrorToWizard(e, `${args.user}@${address}:${args.port}/${args.dbname}`);
  }
}

async function attempt(args: SynapseDbArgs, address: string, timeoutMs: number, ssl: pg.ClientConfig['ssl']): Promise<LoginResult> {
  const c = new pg.Client({ host: address, port: args.port, user: args.user, password: args.password, database: args.dbname, connectionTimeoutMillis: timeoutMs, ssl });
  c.on('error', () => undefined);
  try {
    await c.connect();
    const r = await c.query<{ v: string; u: string }>(`SELECT current_setting('server_version_num') AS v, current_user AS u`);
    return { address, serverVersionNum: Number(r.rows[0]!.v), currentUser: r.rows[0]!.u };
  } finally {
    await c.end().catch(() => undefined);
  }
}

export async function loginAsSynapse(args: SynapseDbArgs, timeoutMs = 10_000): Promise<LoginResult[]> {
  const out: LoginResult[] = [];
  for (const address of await addressesFor(args.host)) out.push(await loginOnce(args, address, timeoutMs));
  return out;
}

/** Like loginAsSynapse, but retries briefly: a pg_hba.conf reload reaches new backends a moment after pg_reload_conf(). */
export async function loginWithRetry(args: SynapseDbArgs, attempts = 10, delayMs = 300): Promise<LoginResult[]> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await loginAsSynapse(args);
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
  throw last;
}
