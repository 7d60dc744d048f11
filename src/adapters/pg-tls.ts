// TLS to PostgreSQL the way libpq (and so psycopg2, Synapse) understands sslmode and sslrootcert, for every connection the
// wizard makes: node-pg's ssl options for its own clients, libpq's environment for psql and pg_dump children.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { checkServerIdentity, type ConnectionOptions } from 'node:tls';
import { WizardError } from '../core/errors.js';

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** sslmode and sslrootcert as libpq takes them; sslrootcert is a path on this host. */
export interface PgTls {
  sslmode?: SslMode;
  sslrootcert?: string;
}

export function parseSslMode(value: string, flag: string): SslMode {
  if ((SSL_MODES as readonly string[]).includes(value)) return value as SslMode;
  throw new WizardError('BAD_INPUT', `${flag} "${value}" is not an sslmode.`, { hint: 'Use require (encrypted), verify-ca (and signed by your CA) or verify-full (and issued for the host name you connect to); the last two need --db-sslrootcert FILE.' });
}

/** True when the mode checks the server's certificate against a CA (libpq: verify-*, or require with a root certificate). */
export function verifiesCa(tls: PgTls | undefined): boolean {
  return !!tls?.sslmode && (tls.sslmode.startsWith('verify-') || (tls.sslmode === 'require' && !!tls.sslrootcert));
}

function readCa(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new WizardError('BAD_INPUT', `sslrootcert ${file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? String(e)}.`, { hint: "Download your provider's CA bundle (or copy the CA that signed the server's certificate) to that path." });
  }
}

/**
 * node-pg's `ssl` for a libpq sslmode. prefer/allow/undefined keep node-pg's default (no TLS); require encrypts without checking
 * (with a root certificate it checks the CA, as libpq does); verify-ca checks the CA only; verify-full also the host name or IP.
 */
export function nodePgSsl(tls: PgTls | undefined, host?: string): false | ConnectionOptions | undefined {
  const mode = tls?.sslmode;
  if (!mode || mode === 'prefer' || mode === 'allow') return undefined;
  if (mode === 'disable') return false;
  const ca = tls.sslrootcert ? readCa(tls.sslrootcert) : undefined;
  if (mode === 'require' && !ca) return { rejectUnauthorized: false };
  // verify-full checks the name the admin gave (a connection to one of its resolved addresses still checks the name)
  if (mode === 'verify-full') return host ? { ca, rejectUnauthorized: true, servername: isIP(host) ? undefined : host, checkServerIdentity: (_h, cert) => checkServerIdentity(host, cert) } : { ca, rejectUnauthorized: true };
  return { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined };
}

/** libpq's environment for the same settings (psql, pg_dump, pg_restore children). */
export function libpqTlsEnv(tls: PgTls | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  if (tls?.sslmode) env.PGSSLMODE = tls.sslmode;
  if (tls?.sslrootcert) env.PGSSLROOTCERT = tls.sslrootcert;
  return env;
}

/** sslmode/sslrootcert carried in a postgresql:// URL's query; the URL without them (node-pg would read them its own way). */
export function tlsFromUrl(url: string): { url: string; tls: PgTls } {
  const u = new URL(url);
  const tls: PgTls = {};
  const mode = u.searchParams.get('sslmode');
  const root = u.searchParams.get('sslrootcert');
  if (mode) tls.sslmode = parseSslMode(mode, 'sslmode in the --pg-admin URL');
  if (root) tls.sslrootcert = root;
  for (const k of ['sslmode', 'sslrootcert', 'sslcert', 'sslkey']) u.searchParams.delete(k);
  return { url: u.toString(), tls };
}
