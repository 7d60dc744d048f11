// Certificate problems of Synapse's TLS connection (sslmode verify-ca/verify-full, or require with a root certificate): a CA
// the client does not trust, a certificate not issued for the host name or address in database.args, an expired one, or
// an sslrootcert that Synapse cannot read where it runs. (A server without TLS at all is the psycopg2 probe's finding.)
import { readFile } from 'node:fs/promises';
import { probeServerCert } from '../adapters/pg-tls-probe.js';
import { UNKNOWN_CA_CODES } from '../adapters/pg-errors.js';
import type { DoctorContext } from './context.js';
import type { Diagnosis, Finding } from './types.js';

interface TlsArgs {
  host: string;
  port: number;
  sslmode: string;
  /** As Synapse sees it, and as this host sees it (through the path map). */
  rootInside?: string;
  rootHost?: string;
}

function tlsArgs(ctx: DoctorContext): TlsArgs | undefined {
  const a = ctx.config?.database?.args as Record<string, unknown> | undefined;
  if (!ctx.onPostgres || !a || typeof a.sslmode !== 'string') return undefined;
  const mode = a.sslmode;
  const rootInside = typeof a.sslrootcert === 'string' ? a.sslrootcert : undefined;
  if (!(mode === 'verify-ca' || mode === 'verify-full' || (mode === 'require' && rootInside))) return undefined;
  const host = ctx.target.host;
  if (!host || host.startsWith('/')) return undefined;
  const rootHost = rootInside && (ctx.exec.target.kind === 'local' ? rootInside : ctx.exec.toHost(rootInside));
  return { host, port: ctx.target.port, sslmode: mode, rootInside, rootHost: rootHost ?? undefined };
}

const TITLE = "Synapse's TLS connection to PostgreSQL fails the certificate check";

function finding(evidence: string, cause: string, fix: string): Finding {
  return { id: 'tls-certificate', title: TITLE, evidence, cause, fix, needsSynapseStopped: false, plan: [] };
}

export const tlsCertificate: Diagnosis = {
  id: 'tls-certificate',
  rank: 14,
  title: TITLE,
  patterns: [/certificate verify failed/i, /server certificate for "[^"]*" (\(and \d+ other names?\) )?does not match host name/i, /root certificate file "[^"]*" does not exist/i, /could not read root certificate file/i],
  canCheck: (ctx) => tlsArgs(ctx) !== undefined,
  async diagnose(ctx) {
    const t = tlsArgs(ctx);
    if (!t) return undefined;
    if (!t.rootInside) {
      return finding(`database.args has sslmode ${t.sslmode} and no sslrootcert.`, "libpq then looks for ~/.postgresql/root.crt of Synapse's user, which is seldom there.", 'set sslrootcert in database.args to the CA file (the provider\'s bundle), as a path Synapse can read where it runs');
    }
    const ca = t.rootHost ? await readFile(t.rootHost).catch((e: NodeJS.ErrnoException) => e.code ?? e.message) : 'the path is outside what the path map reaches';
    if (typeof ca === 'string') {
      const where = ctx.exec.target.kind === 'local' ? '' : ` (Synapse runs in ${ctx.exec.target.kind === 'chroot' ? `the chroot ${ctx.exec.target.dir}` : ctx.exec.target.kind}; this host sees it as ${t.rootHost ?? 'nothing'})`;
      return finding(`sslrootcert ${t.rootInside} cannot be read${where}: ${ca}.`, 'libpq refuses to connect when the root certificate file named by sslrootcert is missing ("root certificate file ... does not exist").', 'put the CA file where Synapse runs (inside its chroot or container) and set sslrootcert to that path');
    }
    const p = await probeServerCert(t.host, t.port, ca);
    if (p.kind !== 'tls') return undefined; // no TLS or no answer: the psycopg2 probe and the connection diagnoses say which
    const cert = `The server's certificate: subject CN=${p.subject}, issuer CN=${p.issuer}, ${p.altNames}, valid to ${p.validTo}.`;
    if (p.caError && UNKNOWN_CA_CODES.includes(p.caError)) {
      return finding(`${cert} Checked against ${t.rootInside}: ${p.caError}.`, `The server's certificate is signed by a CA (CN=${p.issuer}) that is not in sslrootcert, so libpq (sslmode ${t.sslmode}) refuses it: "certificate verify failed".`, `replace ${t.rootInside} with the certificate of the CA named CN=${p.issuer} (for a managed service, its published CA bundle), then restart Synapse`);
    }
    if (p.caError) return finding(`${cert} Checked against ${t.rootInside}: ${p.caError}.`, `The certificate check fails: ${p.caError}.`, p.caError.startsWith('CERT_') ? "renew the server's certificate, or check the clock of this host" : 'give the server a certificate from the CA in sslrootcert');
    if (t.sslmode === 'verify-full' && p.nameError) {
      return finding(`${cert} database.args host is ${t.host}: ${p.nameError}`, `sslmode verify-full also checks that the certificate names the host Synapse connects to; this one names ${p.altNames}.`, `set database.args host to a name the certificate lists (${p.altNames}), or have the certificate reissued with ${t.host} in subjectAltName; sslmode verify-ca would skip the name check, trusting any server with a certificate from that CA`);
    }
    return undefined;
  },
  fromText: () => ({
    cause: "libpq refused the server's certificate: its CA is not in sslrootcert, it does not name the host in database.args (verify-full), or sslrootcert is missing where Synapse runs.",
    fix: "compare the server's certificate (issuer, subjectAltName) with sslrootcert and database.args host; run the doctor against the config to see which",
  }),
};
