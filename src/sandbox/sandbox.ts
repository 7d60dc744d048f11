// `synapse-pg sandbox up|down|status`: a practice homeserver on SQLite (real Synapse in a Debian chroot) plus a PostgreSQL cluster to move it to.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createExecutor, runArgv, type Executor } from '../adapters/exec.js';
import { WizardError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';
import { health, registerWithSharedSecret, type MatrixSession } from '../synapse/client.js';
import { createSynctlService, type SynapseService } from '../synapse/service.js';
import { generateHomeserver, SANDBOX_ROOT_INSIDE } from './homeserver.js';
import { pgClusterRunning, startPgCluster, stopPgCluster } from './pg-cluster.js';
import { readSecrets, readState, removeState, writeState, type SandboxRoom, type SandboxState, type SandboxUser } from './state.js';

export interface SandboxUpOptions {
  chrootDir: string;
  /** Host directory for sandbox.json and sandbox-secrets.json. */
  stateDir: string;
  /** Also names the homeserver's directory in the chroot; default sandbox.test. */
  serverName?: string;
  /** Number of users (the first is a server admin); default 2. */
  users?: number;
  /** Number of rooms, created by the first user, joined by all; default 2. */
  rooms?: number;
  /** Messages in total, spread round-robin over rooms and senders; default 20. */
  messages?: number;
  /** Start the PostgreSQL cluster to move to; default true. */
  postgres?: boolean;
  onLog?: (line: string) => void;
}

export interface SandboxStatus {
  up: boolean;
  state?: SandboxState;
  synapseRunning: boolean;
  healthy: boolean;
  postgresRunning: boolean;
}

export const CHROOT_MARKER = '.synapse-pg-chroot';
const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];

/** Blocks unless we are root on Debian with a chroot built by .ci/synapse-chroot.sh; returns the Synapse version. */
export async function checkSandboxHost(chrootDir: string): Promise<string> {
  if (process.platform !== 'linux' || !existsSync('/etc/debian_version')) {
    throw new WizardError('BLOCKED', 'the sandbox needs a Debian host (it runs Synapse from Debian in a chroot)', { hint: 'Run it on Debian 12 or later.' });
  }
  if (process.getuid?.() !== 0) throw new WizardError('BLOCKED', 'the sandbox needs root (chroot, mount, runuser postgres)', { hint: 'Run it with sudo.' });
  const marker = join(chrootDir, CHROOT_MARKER);
  if (!existsSync(marker)) {
    throw new WizardError('BLOCKED', `no Synapse chroot at ${chrootDir}`, { hint: `Build it (about a minute) with: SYNAPSE_CHROOT=${chrootDir} bash .ci/synapse-chroot.sh` });
  }
  const version = /^matrix-synapse=(.+)$/m.exec(readFileSync(marker, 'utf8'))?.[1];
  if (!existsSync(join(chrootDir, 'proc/self'))) {
    const r = await runArgv(['mount', '-t', 'proc', 'proc', join(chrootDir, 'proc')], { timeoutMs: 30_000 });
    if (r.exitCode !== 0) throw new WizardError('BLOCKED', `cannot mount proc in ${chrootDir}: ${r.stderr.trim()}`, { hint: `Mount it by hand: mount -t proc proc ${chrootDir}/proc` });
  }
  return version ?? 'unknown';
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

const password = () => randomBytes(18).toString('base64url');

export function sandboxExecutor(chrootDir: string): Executor {
  return createExecutor({ kind: 'chroot', dir: chrootDir });
}

export function sandboxService(state: SandboxState, onLog?: (line: string) => void): SynapseService {
  return createSynctlService({ exec: sandboxExecutor(state.chrootDir), configPath: state.configPathHost, baseUrl: state.baseUrl, onLog });
}

export async function sandboxUp(opts: SandboxUpOptions): Promise<SandboxState> {
  const log = opts.onLog ?? (() => {});
  const serverName = opts.serverName ?? 'sandbox.test';
  if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(serverName)) throw new WizardError('BAD_INPUT', `"${serverName}" is not a usable server name`, { hint: 'Use lower-case letters, digits, dots and dashes, e.g. sandbox.test' });
  const synapseVersion = await checkSandboxHost(opts.chrootDir);
  const existing = await readState(opts.stateDir);
  if (existing) throw new WizardError('BLOCKED', `a sandbox is already set up (${existing.baseUrl}, state in ${opts.stateDir})`, { hint: 'Run synapse-pg sandbox down first.' });
  const exec = sandboxExecutor(opts.chrootDir);
  log(`generating a homeserver config for ${serverName} with Synapse ${synapseVersion}`);
  const files = await generateHomeserver(exec, { serverName, port: await freePort(), onLog: log });
  const nUsers = Math.max(1, opts.users ?? 2);
  const users: SandboxUser[] = Array.from({ length: nUsers }, (_, i) => {
    const user = NAMES[i] ?? `user${i + 1}`;
    return { user, userId: `@${user}:${serverName}`, admin: i === 0 };
  });
  const secrets = { registrationSharedSecret: files.registrationSharedSecret, passwords: Object.fromEntries(users.map((u) => [u.user, password()])), postgresPassword: undefined as string | undefined };
  Object.values(secrets.passwords).forEach(registerSecret);
  const state: SandboxState = {
    version: 1, serverName, synapseVersion, chrootDir: opts.chrootDir, ...files, service: 'synctl',
    users: [], rooms: [], messageCount: 0, secretsFile: join(opts.stateDir, 'sandbox-secrets.json'), createdAt: new Date().toISOString(),
  };
  delete (state as Partial<typeof files>).registrationSharedSecret;
  // Written before anything runs, so `sandbox down` can clean up after a failure half way.
  await writeState(opts.stateDir, state, secrets);
  try {
    if (opts.postgres ?? true) {
      secrets.postgresPassword = password();
      state.postgres = await startPgCluster({ port: await freePort(), superuserPassword: secrets.postgresPassword });
      await writeState(opts.stateDir, state, secrets);
      log(`PostgreSQL ${state.postgres.binDir} listening on 127.0.0.1:${state.postgres.port}`);
    }
    const t0 = Date.now();
    await sandboxService(state, log).start();
    log(`Synapse healthy at ${state.baseUrl} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const sessions: MatrixSession[] = [];
    for (const u of users) {
      sessions.push(await registerWithSharedSecret(state.baseUrl, files.registrationSharedSecret, u.user, secrets.passwords[u.user]!, u.admin));
      state.users.push(u);
    }
    const rooms: SandboxRoom[] = [];
    for (let i = 0; i < Math.max(0, opts.rooms ?? 2); i++) {
      const name = `practice room ${i + 1}`;
      const roomId = await sessions[0]!.createRoom({ name, preset: 'public_chat' });
      for (const s of sessions.slice(1)) await s.joinRoom(roomId);
      rooms.push({ roomId, name, messages: 0 });
    }
    state.rooms = rooms;
    const total = rooms.length ? Math.max(0, opts.messages ?? 20) : 0;
    for (let i = 0; i < total; i++) {
      const room = rooms[i % rooms.length]!;
      await sessions[i % sessions.length]!.sendMessage(room.roomId, `practice message ${i + 1} in ${room.name}`);
      room.messages++;
    }
    state.messageCount = total;
    await writeState(opts.stateDir, state, secrets);
    log(`sandbox up: ${users.length} users, ${rooms.length} rooms, ${total} messages`);
    return state;
  } catch (e) {
    await sandboxDown({ stateDir: opts.stateDir }).catch(() => {});
    throw e;
  }
}

/** Stops Synapse and PostgreSQL and removes everything the sandbox created; does nothing when no sandbox is up. */
export async function sandboxDown(opts: { stateDir: string; onLog?: (line: string) => void }): Promise<void> {
  const log = opts.onLog ?? (() => {});
  const state = await readState(opts.stateDir);
  if (!state) return;
  const service = sandboxService(state, log);
  try {
    if (existsSync(state.configPathHost) && (await service.isRunning())) await service.stop();
  } catch (e) {
    // Cleanup must not stop half way: kill what the pid file names.
    log(`synctl stop failed (${(e as Error).message}); killing Synapse`);
    const pid = Number((await readFile(join(state.dirHost, 'homeserver.pid'), 'utf8').catch(() => '')).trim());
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  if (state.postgres) await stopPgCluster(state.postgres);
  const root = join(state.chrootDir, SANDBOX_ROOT_INSIDE) + '/';
  if (state.dirHost.startsWith(root) && state.dirHost.length > root.length) await rm(state.dirHost, { recursive: true, force: true });
  await removeState(opts.stateDir);
  log(`sandbox ${state.serverName} removed`);
}

export async function sandboxStatus(opts: { stateDir: string }): Promise<SandboxStatus> {
  const state = await readState(opts.stateDir);
  if (!state) return { up: false, synapseRunning: false, healthy: false, postgresRunning: false };
  const synapseRunning = existsSync(state.configPathHost) && (await sandboxService(state).isRunning().catch(() => false));
  const healthy = await health(state.baseUrl);
  const postgresRunning = state.postgres ? await pgClusterRunning(state.postgres) : false;
  return { up: synapseRunning && healthy, state, synapseRunning, healthy, postgresRunning };
}

export { readSecrets, readState };
