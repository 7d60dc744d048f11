// Generates a practice homeserver's config with the real Synapse inside the chroot, then tunes it for a local, federation-free sandbox.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import type { Executor } from '../adapters/exec.js';
import { formatArgv } from '../adapters/exec.js';
import { WizardError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';

export interface HomeserverFiles {
  dirInside: string;
  dirHost: string;
  configPathInside: string;
  configPathHost: string;
  sqlitePathInside: string;
  sqlitePathHost: string;
  logPathHost: string;
  port: number;
  baseUrl: string;
  registrationSharedSecret: string;
}

export const SANDBOX_ROOT_INSIDE = '/srv/synapse-sandbox';

/** Relaxed rate limits: the sandbox fills rooms quickly; Synapse's defaults allow 0.2 messages a second. */
const fast = () => ({ per_second: 1000, burst_count: 1000 }); // a fresh object each time: shared ones become YAML anchors

export async function generateHomeserver(exec: Executor, opts: { serverName: string; port: number; onLog?: (line: string) => void }): Promise<HomeserverFiles> {
  const dirInside = `${SANDBOX_ROOT_INSIDE}/${opts.serverName}`;
  const dirHost = exec.toHost(dirInside);
  if (!dirHost) throw new WizardError('INTERNAL', `${dirInside} has no host path`, { hint: 'The sandbox needs a chroot executor.' });
  if (existsSync(dirHost)) {
    throw new WizardError('BLOCKED', `a practice homeserver already exists at ${dirHost}`, { hint: 'Run synapse-pg sandbox down first, or pick another server name.' });
  }
  await mkdir(dirHost, { recursive: true, mode: 0o750 });
  const configPathInside = `${dirInside}/homeserver.yaml`;
  // Synapse puts the log file in the current directory when it writes the log config, so generate from the homeserver's directory.
  const argv = ['sh', '-c', 'cd "$1" && shift && exec python3 -m synapse.app.homeserver "$@"', 'sh', dirInside,
    '--generate-config', '--server-name', opts.serverName, '--config-path', configPathInside, '--data-directory', dirInside, '--report-stats=no'];
  const r = await exec.run(argv, { timeoutMs: 120_000, onLine: opts.onLog ? (l) => opts.onLog!(l) : undefined });
  if (r.exitCode !== 0) {
    throw new WizardError('EXEC', `Synapse could not generate a config: ${r.spawnError ?? r.stderr.trim().split('\n').slice(-3).join(' ')}`, {
      hint: `Run it by hand: ${formatArgv(exec.wrap(argv))}; if Synapse is missing, rebuild the chroot with bash .ci/synapse-chroot.sh`,
    });
  }
  const configPathHost = exec.toHost(configPathInside)!;
  const doc = parseDocument(await readFile(configPathHost, 'utf8'));
  doc.set('listeners', [
    { port: opts.port, bind_addresses: ['127.0.0.1'], type: 'http', tls: false, x_forwarded: false, resources: [{ names: ['client'], compress: false }] },
  ]);
  doc.set('trusted_key_servers', []);
  doc.set('suppress_key_server_warning', true);
  doc.set('report_stats', false);
  doc.set('enable_registration', false);
  doc.set('federation_domain_whitelist', []);
  for (const key of ['rc_message', 'rc_registration', 'rc_room_creation', 'rc_joins']) doc.set(key, key === 'rc_joins' ? { local: fast(), remote: fast() } : fast());
  doc.set('rc_login', { address: fast(), account: fast(), failed_attempts: fast() });
  const secret = doc.get('registration_shared_secret');
  if (typeof secret !== 'string' || secret.length < 16) {
    throw new WizardError('CONFIG_CONFLICT', `the generated ${configPathHost} has no registration_shared_secret`, { hint: 'This Synapse version generates configs differently; report it with its version.' });
  }
  registerSecret(secret);
  const sqlitePathInside = doc.getIn(['database', 'args', 'database']);
  if (typeof sqlitePathInside !== 'string' || doc.getIn(['database', 'name']) !== 'sqlite3') {
    throw new WizardError('CONFIG_CONFLICT', `the generated ${configPathHost} does not use SQLite`, { hint: 'The practice homeserver starts on SQLite; check the Synapse version in the chroot.' });
  }
  await writeFile(configPathHost, doc.toString());
  const logPathInside = `${dirInside}/homeserver.log`;
  const logConfigInside = doc.get('log_config');
  if (typeof logConfigInside === 'string') {
    const logConfig = await readFile(exec.toHost(logConfigInside)!, 'utf8');
    if (!logConfig.includes(`filename: ${logPathInside}`)) {
      throw new WizardError('CONFIG_CONFLICT', `the generated log config ${logConfigInside} does not log to ${logPathInside}`, { hint: 'Synapse changed how it names the log file; adjust src/sandbox/homeserver.ts.' });
    }
  }
  return {
    dirInside,
    dirHost,
    configPathInside,
    configPathHost,
    sqlitePathInside,
    sqlitePathHost: exec.toHost(sqlitePathInside)!,
    logPathHost: exec.toHost(logPathInside)!,
    port: opts.port,
    baseUrl: `http://127.0.0.1:${opts.port}`,
    registrationSharedSecret: secret,
  };
}
