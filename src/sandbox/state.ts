// The practice homeserver's state files: sandbox.json (public facts) and sandbox-secrets.json (0600), so other commands and tests can find it.
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WizardError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';
import type { PgClusterInfo } from './pg-cluster.js';
import type { HomeserverFiles } from './homeserver.js';

/** Where `sandbox up` builds the real Synapse (a Debian sid chroot, .ci/synapse-chroot.sh). */
export const DEFAULT_CHROOT = '/var/cache/synapse-pg/synapse-sid';

/** Where the practice homeserver's state files live unless --state-dir says otherwise. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SYNAPSE_PG_SANDBOX_STATE ?? '/var/lib/synapse-pg/sandbox';
}

export interface SandboxUser {
  user: string;
  userId: string;
  admin: boolean;
}

export interface SandboxRoom {
  roomId: string;
  name: string;
  messages: number;
}

/** The homeserver's files (directory, config, SQLite file, log) and listener, without its secret. */
export interface SandboxState extends Omit<HomeserverFiles, 'registrationSharedSecret'> {
  version: 1;
  serverName: string;
  synapseVersion: string;
  chrootDir: string;
  /** The value for --service. */
  service: 'synctl';
  users: SandboxUser[];
  rooms: SandboxRoom[];
  messageCount: number;
  secretsFile: string;
  postgres?: PgClusterInfo;
  createdAt: string;
}

export interface SandboxSecrets {
  registrationSharedSecret: string;
  passwords: Record<string, string>;
  postgresPassword?: string;
}

export const stateFile = (stateDir: string) => join(stateDir, 'sandbox.json');
export const secretsFile = (stateDir: string) => join(stateDir, 'sandbox-secrets.json');

async function writeAtomic(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}

export async function writeState(stateDir: string, state: SandboxState, secrets: SandboxSecrets): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeAtomic(secretsFile(stateDir), JSON.stringify(secrets, null, 2) + '\n', 0o600);
  await writeAtomic(stateFile(stateDir), JSON.stringify(state, null, 2) + '\n', 0o644);
}

/** The state, or undefined when no sandbox was set up in this directory. */
export async function readState(stateDir: string): Promise<SandboxState | undefined> {
  const path = stateFile(stateDir);
  if (!existsSync(path)) return undefined;
  try {
    const state = JSON.parse(await readFile(path, 'utf8')) as SandboxState;
    if (state.version !== 1) throw new WizardError('CONFIG_PARSE', `unknown version ${String(state.version)}`);
    return state;
  } catch (e) {
    throw new WizardError('CONFIG_PARSE', `${path} is not a sandbox state file: ${(e as Error).message}`, {
      hint: `Remove ${stateDir} by hand (and the homeserver directory in the chroot, under /srv/synapse-sandbox) and run sandbox up again.`,
      cause: e,
    });
  }
}

export async function readSecrets(stateDir: string): Promise<SandboxSecrets> {
  const path = secretsFile(stateDir);
  try {
    const s = JSON.parse(await readFile(path, 'utf8')) as SandboxSecrets;
    registerSecret(s.registrationSharedSecret);
    registerSecret(s.postgresPassword);
    for (const p of Object.values(s.passwords ?? {})) registerSecret(p);
    return s;
  } catch (e) {
    throw new WizardError('CONFIG_UNREADABLE', `cannot read ${path}: ${(e as Error).message}`, { hint: 'Run synapse-pg sandbox up as the same user (root) that created it.', cause: e });
  }
}

export async function removeState(stateDir: string): Promise<void> {
  await rm(stateFile(stateDir), { force: true });
  await rm(secretsFile(stateDir), { force: true });
}
