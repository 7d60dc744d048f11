// Maps pg client errors (connection refused, ident/peer/password auth...) to WizardErrors with the fix.
import { WizardError } from '../core/errors.js';

/** node's codes for a certificate whose chain does not end at a trusted CA. */
export const UNKNOWN_CA_CODES = ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT'];

/** A TLS failure of the connection itself (certificate, name, expiry), told apart from refusals and timeouts. */
function tlsError(e: unknown, what: string): WizardError | undefined {
  const err = e as { code?: string; message?: string };
  const msg = err?.message ?? String(e);
  if (err?.code && UNKNOWN_CA_CODES.includes(err.code)) {
    return new WizardError('PG_TLS', `The server's certificate is not signed by a CA this connection trusts (${err.code}: ${msg}) for ${what}.`, { cause: e, hint: "Pass --db-sslrootcert with the CA that signed the server's certificate (your provider's CA bundle); synapse-pg doctor shows the certificate's issuer." });
  }
  if (err?.code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new WizardError('PG_TLS', `The server's certificate is not issued for the host connected to (${msg}) for ${what}.`, { cause: e, hint: 'Connect with a name the certificate lists (--db-host; synapse-pg doctor shows them), or have the certificate reissued with this name or IP in subjectAltName. verify-ca skips the name check, at the cost of trusting any server with a certificate from that CA.' });
  }
  if (err?.code === 'CERT_HAS_EXPIRED' || err?.code === 'CERT_NOT_YET_VALID') {
    return new WizardError('PG_TLS', `The server's certificate is not valid now (${err.code}) for ${what}.`, { cause: e, hint: "Renew the server's certificate (or check this machine's clock)." });
  }
  if (/does not support SSL/i.test(msg)) {
    return new WizardError('PG_TLS', `The server does not offer TLS, but the connection requires it, for ${what}.`, { cause: e, hint: 'Turn on ssl in the server\'s postgresql.conf (with a certificate), or drop --db-sslmode on a network you trust.' });
  }
  return undefined;
}

export function pgErrorToWizard(e: unknown, what: string): WizardError {
  const err = e as { code?: string; message?: string };
  const msg = err?.message ?? String(e);
  const tls = tlsError(e, what);
  if (tls) return tls;
  if (err?.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(msg)) {
    return new WizardError('PG_UNREACHABLE', `Connection refused for ${what}: nothing listens there.`, { cause: e, hint: 'Check that PostgreSQL runs and listens on that host and port (listen_addresses, port in postgresql.conf).' });
  }
  if (err?.code === 'EHOSTUNREACH' || err?.code === 'ENETUNREACH') {
    return new WizardError('PG_UNREACHABLE', `No route to the server for ${what} (${err.code}).`, { cause: e, hint: 'This host has no network path to that address: check the address, the VPN or private network link, and routes.' });
  }
  if (err?.code === 'ENOTFOUND' || err?.code === 'EAI_AGAIN') {
    return new WizardError('PG_UNREACHABLE', `Could not resolve the host name for ${what}: ${msg}`, { cause: e, hint: 'Check --db-host; inside a container, "localhost" is the container itself.' });
  }
  if (/timeout/i.test(msg)) {
    return new WizardError('PG_UNREACHABLE', `Timed out connecting for ${what}: no answer at all (not refused).`, { cause: e, hint: "Packets are dropped on the way: a firewall, a security group or the provider's allowed-IP list does not let this host in (or the host/port is wrong; check --db-host/--db-port)." });
  }
  if (/Ident authentication failed/.test(msg)) {
    return new WizardError('PG_AUTH', `${msg} (${what})`, { cause: e, hint: 'An "ident" line in pg_hba.conf matches first. Let the wizard insert a scram-sha-256 line before it (do not pass --pg-hba skip).' });
  }
  if (/Peer authentication failed/.test(msg)) {
    return new WizardError('PG_AUTH', `${msg} (${what})`, { cause: e, hint: 'The connection used the Unix socket. Set host: localhost in database.args so Synapse uses TCP with its password.' });
  }
  if (err?.code === '28P01') {
    return new WizardError('PG_AUTH', `${msg} (${what})`, { cause: e, hint: "The password does not match the role, or the role's VALID UNTIL has passed (synapse-pg doctor tells which). Pass --set-password with --db-password-file to reset it." });
  }
  // by SQLSTATE, not text: the server may speak another language (lc_messages)
  if (err?.code === '42501') return new WizardError('PG_AUTH', `${msg} (${what})`, { cause: e, hint: 'The role lacks the CONNECT privilege on the database (REVOKE CONNECT ... FROM PUBLIC?): GRANT CONNECT ON DATABASE ... TO the role, or run synapse-pg doctor --yes.' });
  if (err?.code === '28000' && !/pg_hba|Ident|Peer/.test(msg)) return new WizardError('PG_AUTH', `${msg} (${what})`, { cause: e, hint: 'The role may not log in (NOLOGIN): ALTER ROLE ... LOGIN, or run synapse-pg doctor --yes.' });
  if (err?.code === '53300') return new WizardError('PG_UNREACHABLE', `${msg} (${what})`, { cause: e, hint: 'No connection slot is free: a CONNECTION LIMIT on the role or database, or max_connections used up. synapse-pg doctor names which.' });
  if (/no pg_hba.conf entry.*no encryption/.test(msg)) {
    return new WizardError('PG_AUTH', `${msg} (${what})`, { cause: e, hint: 'The server may accept only encrypted connections (hostssl lines): pass --db-sslmode verify-full --db-sslrootcert CA_FILE (or require). Otherwise pg_hba.conf has no line for this connection.' });
  }
  if (/no pg_hba.conf entry/.test(msg)) {
    return new WizardError('PG_AUTH', `${msg} (${what})`, { cause: e, hint: 'pg_hba.conf has no line for this connection; let the wizard add one (do not pass --pg-hba skip).' });
  }
  if (err?.code === '3D000') return new WizardError('PG_QUERY', `${msg} (${what})`, { cause: e, hint: 'Create the database first (synapse-pg setup).' });
  return new WizardError('PG_QUERY', `${msg} (${what})`, { cause: e });
}
