// A Synapse in Docker compose for the Docker tests: the image built offline from the sid chroot (.ci/docker.sh image), a project of
// its own with its data on the host (owned by 991), its client port published on 127.0.0.1, and real users, rooms and messages.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { health, registerWithSharedSecret, login, type MatrixSession } from '../../src/synapse/client.js';
import { freePort } from './cluster.js';

export const SYNAPSE_IMAGE = process.env.SYNAPSE_IMAGE ?? 'synapse-pg/synapse:sid';
const INSTALL = 'sudo bash .ci/install.sh test (or: bash .ci/docker.sh compose && bash .ci/docker.sh start && bash .ci/docker.sh image)';

/** Fails the test, naming the command that fixes it, unless dockerd answers, compose v2 is there and the Synapse image is built. */
export function requireDocker(): void {
  if (process.getuid?.() !== 0) throw new Error('The Docker tests must run as root (dockerd, bind mounts owned by 991).');
  const check = (argv: string[], what: string) => {
    const r = spawnSync('docker', argv, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${what} (${(r.error?.message ?? r.stderr).trim().split('\n').pop()}). Install and start it with: ${INSTALL}`);
  };
  check(['info', '--format', '{{.ServerVersion}}'], 'The Docker engine does not answer');
  check(['compose', 'version'], 'docker compose v2 is missing');
  check(['image', 'inspect', SYNAPSE_IMAGE], `The Synapse image ${SYNAPSE_IMAGE} is not built`);
}

export interface ComposeHomeserver {
  dir: string;
  composeFile: string;
  dataDir: string;
  configPath: string;
  sqlitePath: string;
  baseUrl: string;
  /** The host's address on the project's bridge, and the bridge's subnet. */
  gateway: string;
  subnet: string;
  users: { user: string; password: string }[];
  roomId: string;
  /** `docker compose -f compose.yaml ARGS` in the project's directory; throws with its output when it fails. */
  compose(...args: string[]): string;
  login(user?: string): Promise<MatrixSession>;
  waitHealthy(timeoutMs?: number): Promise<boolean>;
  down(): void;
}

const fast = () => ({ per_second: 1000, burst_count: 1000 });

export async function startComposeHomeserver(opts: { users?: number; messages?: number } = {}): Promise<ComposeHomeserver> {
  requireDocker();
  const dir = mkdtempSync(join(tmpdir(), 'spgw-compose-'));
  const project = `spgw${randomBytes(4).toString('hex')}`;
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  chownSync(dataDir, 991, 991);
  const serverName = `${project}.test`;
  const composeFile = join(dir, 'compose.yaml');
  const compose = (...args: string[]) => {
    const r = spawnSync('docker', ['compose', '-f', composeFile, ...args], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`docker compose ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const hs: ComposeHomeserver = {
    dir, composeFile, dataDir, configPath: join(dataDir, 'homeserver.yaml'), sqlitePath: join(dataDir, 'homeserver.db'), baseUrl: '', gateway: '', subnet: '', users: [], roomId: '', compose,
    async login(user = hs.users[0]!.user) {
      return login(hs.baseUrl, user, hs.users.find((u) => u.user === user)!.password);
    },
    async waitHealthy(timeoutMs = 60_000) {
      for (const end = Date.now() + timeoutMs; Date.now() < end; await new Promise((r) => setTimeout(r, 300))) if (await health(hs.baseUrl, { timeoutMs: 2000 })) return true;
      return false;
    },
    down() {
      spawnSync('docker', ['compose', '-f', composeFile, 'down', '--remove-orphans', '-t', '5'], { cwd: dir, stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    // the config as the image generates it, as 991 in /data (the log goes to /data/homeserver.log)
    execFileSync('docker', ['run', '--rm', '-u', '991:991', '-w', '/data', '-v', `${dataDir}:/data`, '--entrypoint', 'python3', SYNAPSE_IMAGE,
      '-m', 'synapse.app.homeserver', '--generate-config', '--server-name', serverName, '--config-path', '/data/homeserver.yaml', '--data-directory', '/data', '--report-stats=no'], { stdio: 'pipe' });
    const doc = parseDocument(readFileSync(hs.configPath, 'utf8'));
    doc.set('listeners', [{ port: 8008, bind_addresses: ['0.0.0.0'], type: 'http', tls: false, x_forwarded: false, resources: [{ names: ['client'], compress: false }] }]);
    doc.set('trusted_key_servers', []);
    doc.set('suppress_key_server_warning', true);
    doc.set('report_stats', false);
    for (const key of ['rc_message', 'rc_registration', 'rc_room_creation']) doc.set(key, fast());
    doc.set('rc_login', { address: fast(), account: fast(), failed_attempts: fast() });
    writeFileSync(hs.configPath, doc.toString());
    const secret = String(doc.get('registration_shared_secret'));
    const port = await freePort();
    // ${SYNAPSE_PORT} comes from .env: the wizard must read the model as compose resolves it
    writeFileSync(join(dir, '.env'), `SYNAPSE_PORT=${port}\n`);
    writeFileSync(composeFile, `name: ${project}
services:
  synapse:
    image: ${SYNAPSE_IMAGE}
    pull_policy: never
    environment:
      SYNAPSE_CONFIG_PATH: /data/homeserver.yaml
    volumes:
      - ./data:/data
    ports:
      - "127.0.0.1:\${SYNAPSE_PORT}:8008"
`);
    hs.baseUrl = `http://127.0.0.1:${port}`;
    compose('up', '-d');
    const net = JSON.parse(execFileSync('docker', ['network', 'inspect', '-f', '{{json .IPAM.Config}}', `${project}_default`], { encoding: 'utf8' }))[0];
    hs.gateway = net.Gateway;
    hs.subnet = net.Subnet;
    if (!(await hs.waitHealthy())) throw new Error(`Synapse in compose did not become healthy: ${compose('logs', '--tail', '30')}`);
    for (let i = 0; i < (opts.users ?? 1); i++) hs.users.push({ user: `user${i}`, password: randomBytes(12).toString('hex') });
    const sessions = await Promise.all(hs.users.map((u, i) => registerWithSharedSecret(hs.baseUrl, secret, u.user, u.password, i === 0)));
    hs.roomId = await sessions[0]!.createRoom({ name: 'docker', preset: 'public_chat' });
    for (const s of sessions.slice(1)) await s.joinRoom(hs.roomId);
    for (let i = 0; i < (opts.messages ?? 0); i++) await sessions[i % sessions.length]!.sendMessage(hs.roomId, `before ${i}`);
    return hs;
  } catch (e) {
    hs.down();
    throw e;
  }
}
