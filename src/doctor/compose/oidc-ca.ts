// Single sign-on fails when Synapse, inside its container, does not trust the private CA that signed the OIDC provider's certificate.
// Synapse fetches <issuer>/.well-known/openid-configuration with OpenSSL's default trust store (RegularPolicyForHTTPS -> platformTrust),
// so the fix is the admin's CA in /usr/local/share/ca-certificates + update-ca-certificates, never turning verification off.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { formatArgv, type Executor } from '../../adapters/exec.js';
import { unifiedDiff } from '../../core/diff.js';
import { WizardError } from '../../core/errors.js';
import type { DoctorContext } from '../context.js';
import type { Diagnosis } from '../types.js';
import { composeDeployment } from './deployment.js';
import { persistCa, type CaPersistence } from './persist-ca.js';
import type { StepContext } from '../../core/step.js';

export const TRUST_DIR = '/usr/local/share/ca-certificates';
const CERT_ERROR = /CERTIFICATE_VERIFY_FAILED|certificate verify failed/i;

/** Python's urllib with its default context: the same OpenSSL trust store Synapse's HTTP client uses. */
const FETCH = [
  'import json, sys, urllib.request',
  'try:',
  '    with urllib.request.urlopen(sys.argv[1], timeout=15) as r:',
  '        print("issuer " + str(json.load(r).get("issuer")))',
  'except Exception as e:',
  '    print(type(e).__name__ + ": " + str(e))',
  '    sys.exit(3)',
].join('\n');

export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

export async function fetchDiscovery(exec: Executor, url: string): Promise<{ ok: boolean; certError: boolean; message: string }> {
  const r = await exec.run(['python3', '-c', FETCH, url], { timeoutMs: 30_000 });
  const message = (r.spawnError ?? (r.stdout + r.stderr).trim().split('\n').slice(-1)[0] ?? '').trim();
  return { ok: r.exitCode === 0, certError: r.exitCode !== 0 && CERT_ERROR.test(r.stdout + r.stderr), message };
}

interface Provider {
  id: string;
  issuer: string;
}

function providers(ctx: DoctorContext): Provider[] {
  const list = ctx.config?.merged.oidc_providers;
  if (!Array.isArray(list)) return [];
  return list
    .filter((p): p is Record<string, unknown> => !!p && typeof p === 'object' && typeof p.issuer === 'string' && p.discover !== false && String(p.issuer).startsWith('https:'))
    .map((p) => ({ id: String(p.idp_id ?? 'oidc'), issuer: String(p.issuer) }));
}

/** The admin's CA file (--ca-file) as PEM, checked to be a CA certificate. */
export function readCa(path: string): { pem: string; subject: string; name: string } {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(readFileSync(path));
  } catch (e) {
    throw new WizardError('BAD_INPUT', `--ca-file ${path}: not a certificate (${(e as Error).message})`, { hint: 'Pass the CA certificate (PEM or DER) that signed the OIDC provider\'s certificate.' });
  }
  if (!cert.ca) throw new WizardError('BAD_INPUT', `--ca-file ${path}: ${cert.subject.replace(/\n/g, ', ')} is not a CA certificate (basicConstraints CA:FALSE)`, { hint: 'Pass the CA that signed the server certificate, not the server certificate itself.' });
  const name = `synapse-pg-${basename(path, extname(path)).replace(/[^A-Za-z0-9_-]+/g, '-')}.crt`;
  return { pem: cert.toString(), subject: cert.subject.replace(/\n/g, ', '), name };
}

export const oidcCaTrust: Diagnosis = {
  id: 'oidc-ca-untrusted',
  rank: 78,
  title: "Synapse does not trust the OIDC provider's certificate",
  patterns: [/CERTIFICATE_VERIFY_FAILED/, /certificate verify failed/],
  canCheck: (ctx) => providers(ctx).length > 0,
  async diagnose(ctx) {
    const list = providers(ctx);
    if (!list.length) return undefined;
    const d = composeDeployment(ctx);
    const exec = d?.exec ?? ctx.exec;
    const failed: { p: Provider; url: string; message: string }[] = [];
    for (const p of list) {
      const url = discoveryUrl(p.issuer);
      const r = await fetchDiscovery(exec, url);
      if (r.certError) failed.push({ p, url, message: r.message });
    }
    if (!failed.length) return undefined;
    const where = exec.target.kind === 'local' ? 'on this host' : `inside the container (${formatArgv(exec.wrap([]))})`;
    const caPath = ctx.opts.caFile === undefined ? undefined : resolve(ctx.opts.caFile);
    let ca: ReturnType<typeof readCa> | undefined;
    let caError: string | undefined;
    try {
      ca = caPath ? readCa(caPath) : undefined;
    } catch (e) {
      // a wrong --ca-file leaves the finding standing, with the reason: it must not hide it
      caError = e instanceof WizardError ? `${e.message}. ${e.hint ?? ''}`.trim() : String(e);
    }
    // no --ca-file in a terminal: the fix asks for the file
    const ask = !ca && !caError && !ctx.opts.yes && ctx.setup.prompter.interactive ? ctx.setup.prompter : undefined;
    const inside = ca ? `${TRUST_DIR}/${ca.name}` : undefined;
    const compose = ca && d ? persistCa(d, caPath!, inside!) : undefined;
    const evidence = failed.map((f) => `${f.p.id}: fetching ${f.url} ${where} fails: ${f.message}`).join('; ') + '.';
    return {
      id: this.id,
      title: this.title,
      evidence,
      cause: "Synapse fetches the provider's discovery document with OpenSSL's default trust store; the provider's certificate is signed by a private CA that store does not hold, so the TLS handshake fails and single sign-on with it.",
      fix: ca
        ? `install ${caPath} (${ca.subject}) as ${inside} and run update-ca-certificates where Synapse runs${compose ? `, and keep it across container re-creation with a read-only mount in ${d!.file}${compose.caveat ? ` (${compose.caveat})` : ''}` : ''}; verification stays on`
        : ask
          ? `name the CA certificate that signed the provider's certificate when asked; it is installed into ${TRUST_DIR} where Synapse runs and update-ca-certificates is run (verification stays on)`
          : `${caError ? `${caError} ` : ''}run the doctor again with --ca-file FILE naming the CA certificate that signed the provider's certificate (never set skip_verification or disable TLS checks)`,
      needsSynapseStopped: false,
      restartSynapse: !!ca || !!ask,
      plan: ca
        ? [
            { kind: 'command', argv: exec.wrap(['sh', '-c', 'cat > "$1"', 'sh', inside!]) },
            { kind: 'command', argv: exec.wrap(['update-ca-certificates']) },
            ...(compose ? [{ kind: 'file' as const, path: d!.file, diff: unifiedDiff(d!.text, compose.text, d!.file) }] : []),
          ]
        : ask
          ? [{ kind: 'note', text: `ask for the CA file, write it to ${TRUST_DIR}/ and run update-ca-certificates where Synapse runs${d ? `; offer the read-only mount in ${d.file}` : ''}` }]
          : [],
      apply: ca
        ? (sc) => install(exec, failed, ca, compose, sc)
        : ask
          ? async (sc) => {
              const path = resolve(await ask.text({ message: `Which file holds the CA certificate that signed ${failed[0]!.url}?`, validate: (v) => caProblem(resolve(v)) }));
              const named = readCa(path);
              const keep = d ? persistCa(d, path, `${TRUST_DIR}/${named.name}`) : undefined;
              const yes = keep && (await ask.confirm({ message: `Keep the CA across container re-creation: mount it read-only in ${d!.file}?`, details: unifiedDiff(d!.text, keep.text, d!.file) }));
              return install(exec, failed, named, yes ? keep : undefined, sc);
            }
          : undefined,
      verify: async () => {
        const ok: string[] = [];
        for (const f of failed) {
          const r = await fetchDiscovery(exec, f.url);
          if (!r.ok) throw new WizardError('UNVERIFIED', `${f.url} still fails: ${r.message}`);
          ok.push(`${f.url} (${r.message})`);
        }
        return `With certificate verification on, the discovery fetch succeeds ${where}: ${ok.join(', ')}.`;
      },
    };
  },
  fromText: () => ({
    cause: "Synapse could not verify a TLS certificate: for an OIDC provider with a private CA, the container's trust store lacks that CA.",
    fix: 'run the doctor with --ca-file FILE (the CA certificate) so it installs the CA where Synapse runs; never disable verification',
  }),
};

function caProblem(path: string): string | undefined {
  try {
    readCa(path);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Writes the CA into the trust store where Synapse runs and proves it helps; a CA that does not is taken out again. */
async function install(exec: Executor, failed: { url: string }[], ca: { pem: string; subject: string; name: string }, compose: CaPersistence | undefined, sc: StepContext): Promise<string> {
  const inside = `${TRUST_DIR}/${ca.name}`;
  const w = await exec.run(['sh', '-c', 'mkdir -p "$(dirname "$1")" && cat > "$1" && chmod 644 "$1"', 'sh', inside], { input: ca.pem, timeoutMs: 30_000 });
  if (w.exitCode !== 0) throw new WizardError('EXEC', `could not write ${inside}: ${w.spawnError ?? w.stderr.trim()}`, { hint: `Run the doctor as a user who may write there (${formatArgv(exec.wrap([]))} runs as root by default).` });
  const u = await exec.run(['update-ca-certificates'], { timeoutMs: 120_000 });
  if (u.exitCode !== 0) throw new WizardError('EXEC', `update-ca-certificates failed: ${u.spawnError ?? u.stderr.trim()}`, { hint: 'Install the ca-certificates package in the image (apt-get install ca-certificates).' });
  sc.log(`Installed ${inside} and ran update-ca-certificates (${u.stdout.trim().split('\n').slice(-2).join(' ')}).`);
  const still: string[] = [];
  for (const f of failed) if ((await fetchDiscovery(exec, f.url)).certError) still.push(f.url);
  if (still.length) {
    // the wrong CA: take it out of the trust store again rather than leave an extra root trusted for nothing
    await exec.run(['rm', '-f', inside], { timeoutMs: 30_000 });
    await exec.run(['update-ca-certificates'], { timeoutMs: 120_000 });
    throw new WizardError('UNVERIFIED', `${ca.subject} did not sign the certificate of ${still.join(', ')}: the fetch still fails, so the CA was removed again`, {
      hint: 'Find the CA that signed it (openssl s_client -connect HOST:PORT -showcerts shows the chain and its issuer) and pass that file with --ca-file.',
    });
  }
  const kept = compose ? ` ${await compose.apply()}` : '';
  return `Installed the CA ${ca.subject} as ${inside} where Synapse runs.${kept}`;
}
