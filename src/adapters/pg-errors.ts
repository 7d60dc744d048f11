// Maps pg client errors (connection refused, ident/peer/password auth...) to WizardErrors with the fix.
import { WizardError } from '../core/errors.js';

export function pgErrorToWizard(e: unknown, what: string): WizardError {
  const err = e as { code?: string; message?: string };
  const msg = err?.message ?? String(e);
  if (err?.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(msg)) {
    return new WizardError('PG_UNREACHABLE', `Connection refused for ${what}: nothing listens there.`, { cause: e, hint: 'Check that PostgreSQL runs and listens on that host and port (listen_addresses, port in postgresql.conf).' });
  }
  if (err?.code === 'ENOTFOUND' || err?.code === 'EAI_AGAIN') {
    return new WizardError('PG_UNREACHABLE', `Could not resolve the host name for ${what}: ${msg}`, { cause: e, hint: 'Check --db-host; inside a container, "localhost" is the container itself.' });
  }
  if (/timeout/i.test(msg)) {
    return new WizardError('PG_UNREACHABLE', `Timed out connecting for ${what}.`, { cause: e, hint: 'A firewall or a wrong host/port; check --db-host/--db-port.' });
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
  if (/no pg_hba.conf entry/.test(msg)) {
    return new WizardError('PG_AUTH', `${msg} (${what})`, { cause: e, hint: 'pg_hba.conf has no line for this connection; let the wizard add one (do not pass --pg-hba skip).' });
  }
  if (err?.code === '3D000') return new WizardError('PG_QUERY', `${msg} (${what})`, { cause: e, hint: 'Create the database first (synapse-pg setup).' });
  return new WizardError('PG_QUERY', `${msg} (${what})`, { cause: e });
}
