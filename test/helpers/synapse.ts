// Test-facing helpers around the real Synapse in the Debian chroot: find the chroot, run a practice homeserver, always clean up.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { login, type MatrixSession } from '../../src/synapse/client.js';
import { CHROOT_MARKER, sandboxDown, sandboxUp } from '../../src/sandbox/sandbox.js';
import { readSecrets, type SandboxRoom, type SandboxState } from '../../src/sandbox/state.js';
import type { PgClusterInfo } from '../../src/sandbox/pg-cluster.js';

export const SYNAPSE_CHROOT = process.env.SYNAPSE_CHROOT ?? '/var/cache/synapse-pg/synapse-sid';

/** The chroot directory; fails the test, naming the command that builds it, when it is missing. */
export function requireSynapseChroot(): string {
  if (process.getuid?.() !== 0) throw new Error('Tests with the real Synapse must run as root (chroot, mount, runuser postgres).');
  if (!existsSync(join(SYNAPSE_CHROOT, CHROOT_MARKER))) {
    throw new Error(`The Synapse chroot is missing at ${SYNAPSE_CHROOT}. Build it (about a minute) with: bash .ci/synapse-chroot.sh`);
  }
  return SYNAPSE_CHROOT;
}

export interface PracticeUser {
  user: string;
  userId: string;
  password: string;
  admin: boolean;
}

export interface PracticeHomeserver {
  state: SandboxState;
  stateDir: string;
  baseUrl: string;
  /** homeserver.yaml as the host sees it. */
  configPath: string;
  sqlitePath: string;
  users: PracticeUser[];
  rooms: SandboxRoom[];
  postgres?: PgClusterInfo & { password: string };
  /** Logs in (default: the first, admin user). */
  login(user?: string): Promise<MatrixSession>;
  /** Sends n more messages as the first user to a room (default: the first room); returns their event ids. */
  sendMessages(n: number, roomId?: string): Promise<string[]>;
  /** Stops Synapse and PostgreSQL and removes every file; safe to call twice. */
  stop(): Promise<void>;
}

let counter = 0;

export async function startPracticeHomeserver(opts: { users?: number; rooms?: number; messages?: number; postgres?: boolean; onLog?: (line: string) => void } = {}): Promise<PracticeHomeserver> {
  const chrootDir = requireSynapseChroot();
  const stateDir = await mkdtemp(join(tmpdir(), 'spgw-sandbox-'));
  const serverName = `t${process.pid}-${++counter}.test`;
  let state: SandboxState;
  try {
    state = await sandboxUp({ chrootDir, stateDir, serverName, postgres: opts.postgres ?? false, users: opts.users, rooms: opts.rooms, messages: opts.messages, onLog: opts.onLog });
  } catch (e) {
    await rm(stateDir, { recursive: true, force: true });
    throw e;
  }
  const secrets = await readSecrets(stateDir);
  const users = state.users.map((u) => ({ ...u, password: secrets.passwords[u.user]! }));
  const sessions = new Map<string, MatrixSession>();
  const hs: PracticeHomeserver = {
    state,
    stateDir,
    baseUrl: state.baseUrl,
    configPath: state.configPathHost,
    sqlitePath: state.sqlitePathHost,
    users,
    rooms: state.rooms,
    postgres: state.postgres && { ...state.postgres, password: secrets.postgresPassword! },
    async login(user = users[0]!.user) {
      const u = users.find((x) => x.user === user);
      if (!u) throw new Error(`no practice user ${user}`);
      return login(state.baseUrl, u.user, u.password);
    },
    async sendMessages(n, roomId = state.rooms[0]?.roomId) {
      if (!roomId) throw new Error('the practice homeserver has no rooms');
      let s = sessions.get('first');
      if (!s) sessions.set('first', (s = await hs.login()));
      const ids: string[] = [];
      for (let i = 0; i < n; i++) ids.push(await s.sendMessage(roomId, `test message ${Date.now()}-${i}`));
      return ids;
    },
    async stop() {
      await sandboxDown({ stateDir });
      await rm(stateDir, { recursive: true, force: true });
    },
  };
  return hs;
}
