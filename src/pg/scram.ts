// Password verifiers computed here, so a plaintext password never travels in SQL, argv or server logs.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

const ITERATIONS = 4096;

function prep(password: string): Buffer {
  // PostgreSQL applies SASLprep; for the printable ASCII passwords we generate it is the identity. NFKC covers common non-ASCII input.
  return Buffer.from(/^[\x20-\x7e]*$/.test(password) ? password : password.normalize('NFKC'), 'utf8');
}

function keys(password: string, salt: Buffer, iterations: number): { stored: Buffer; server: Buffer } {
  const salted = pbkdf2Sync(prep(password), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  return {
    stored: createHash('sha256').update(clientKey).digest(),
    server: createHmac('sha256', salted).update('Server Key').digest(),
  };
}

/** The verifier PostgreSQL stores for password_encryption = scram-sha-256 (RFC 5802/7677 format). */
export function scramVerifier(password: string, salt = randomBytes(16), iterations = ITERATIONS): string {
  const { stored, server } = keys(password, salt, iterations);
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${stored.toString('base64')}:${server.toString('base64')}`;
}

/** The verifier for password_encryption = md5. */
export function md5Verifier(password: string, user: string): string {
  return 'md5' + createHash('md5').update(password + user).digest('hex');
}

/** True when `stored` (pg_authid.rolpassword) accepts `password` for `user`. */
export function verifierMatches(stored: string | null, password: string, user: string): boolean {
  if (!stored) return false;
  const m = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(stored);
  if (m) {
    const { stored: sk } = keys(password, Buffer.from(m[2]!, 'base64'), Number(m[1]));
    const want = Buffer.from(m[3]!, 'base64');
    return want.length === sk.length && timingSafeEqual(want, sk);
  }
  if (stored.startsWith('md5')) return stored === md5Verifier(password, user);
  return false;
}

/** At least 128 bits of randomness, in characters that need no quoting anywhere (YAML, URLs, shells). */
export function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}
