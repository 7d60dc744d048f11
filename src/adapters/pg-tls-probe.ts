// Looks at a PostgreSQL server's certificate without logging in: PostgreSQL's SSLRequest, then a TLS handshake that keeps
// going whatever the certificate says, so the result can name what libpq's verify-ca/verify-full would refuse and why.
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type PeerCertificate } from 'node:tls';

export type TlsProbe =
  | { kind: 'no-ssl' }
  | { kind: 'unreachable'; error: string }
  | {
      kind: 'tls';
      /** The server certificate's subject CN, issuer CN and subjectAltName, as read from it. */
      subject: string;
      issuer: string;
      altNames: string;
      validTo: string;
      /** Why the CA check fails (node's code: UNABLE_TO_VERIFY_LEAF_SIGNATURE, SELF_SIGNED_CERT_IN_CHAIN, CERT_HAS_EXPIRED...), or undefined when it passes. */
      caError?: string;
      /** Why the name check fails for `host`, or undefined when the certificate names it. */
      nameError?: string;
    };

/** The 8-byte SSLRequest: length 8, code 80877103. */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

function sslRequest(host: string, port: number, timeoutMs: number): Promise<Socket | 'no-ssl'> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.once('connect', () => s.write(SSL_REQUEST));
    s.once('data', (b) => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      if (b[0] === 0x53) return resolve(s); // 'S'
      s.destroy();
      resolve('no-ssl');
    });
  });
}

const cn = (x: { CN?: string | string[] } | undefined) => (Array.isArray(x?.CN) ? x.CN.join(', ') : (x?.CN ?? '?'));

/** Probes host:port; `ca` is the CA the client trusts (undefined: the system's). Never throws. */
export async function probeServerCert(host: string, port: number, ca: Buffer | undefined, timeoutMs = 5000): Promise<TlsProbe> {
  let raw: Socket | 'no-ssl';
  try {
    raw = await sslRequest(host, port, timeoutMs);
  } catch (e) {
    return { kind: 'unreachable', error: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
  }
  if (raw === 'no-ssl') return { kind: 'no-ssl' };
  const sock = raw;
  return new Promise((resolve) => {
    // the name is checked below against `host`; here only the chain counts
    const t = tlsConnect({ socket: sock, ca, rejectUnauthorized: false, servername: isIP(host) ? undefined : host, checkServerIdentity: () => undefined });
    const timer = setTimeout(() => {
      t.destroy();
      resolve({ kind: 'unreachable', error: 'TLS handshake timed out' });
    }, timeoutMs);
    t.once('error', (e) => {
      clearTimeout(timer);
      resolve({ kind: 'unreachable', error: (e as NodeJS.ErrnoException).code ?? e.message });
    });
    t.once('secureConnect', () => {
      clearTimeout(timer);
      const cert = t.getPeerCertificate() as PeerCertificate;
      const authErr = t.authorizationError as unknown as Error | string | null;
      const caError = t.authorized ? undefined : String((authErr as { code?: string } | null)?.code ?? authErr ?? 'not trusted');
      const nameError = checkServerIdentity(host, cert)?.message;
      t.destroy();
      resolve({ kind: 'tls', subject: cn(cert.subject), issuer: cn(cert.issuer), altNames: cert.subjectaltname ?? '(none)', validTo: cert.valid_to, caError, nameError });
    });
  });
}
