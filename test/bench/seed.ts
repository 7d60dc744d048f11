// Builds the practice homeserver with real traffic through the client-server API, once per traffic size, and caches it stopped.
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runArgv } from '../../src/adapters/exec.js';
import { openReadOnly } from '../../src/adapters/sqlite.js';
import { checkSandboxHost, sandboxDown, sandboxService, sandboxUp } from '../../src/sandbox/sandbox.js';
import { readSecrets, type SandboxSecrets, type SandboxState } from '../../src/sandbox/state.js';
import { login, type MatrixSession } from '../../src/synapse/client.js';
import { checkInterrupted, onCleanup } from './cleanup.js';
import { trafficKey, type BenchOptions } from './options.js';
import { uploadKeyBackup } from '../helpers/traffic.js';

export interface CachedHomeserver {
  key: string;
  /** The stopped homeserver directory (config, signing key, homeserver.db, media, logs). */
  homeDir: string;
  state: SandboxState;
  secrets: SandboxSecrets;
  seed: { users: number; rooms: number; messages: number; seedMs: number; sendMs: number; messagesPerSecond: number; sqliteBytes: number; seededAt: string };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends `total` messages, round-robin over rooms and senders, with `concurrency` requests in flight. */
async function sendTraffic(sessions: MatrixSession[], roomIds: string[], total: number, concurrency: number, log: (m: string) => void): Promise<number> {
  let next = 0;
  let sent = 0;
  const t0 = Date.now();
  let lastReport = t0;
  const words = 'the quick brown fox jumps over a lazy dog while synapse ports its rows to postgres'.split(' ');
  const worker = async () => {
    for (let i = next++; i < total; i = next++) {
      const body = `bench message ${i + 1}: ${words.slice(0, 3 + (i % words.length)).join(' ')}`;
      await sessions[i % sessions.length]!.sendMessage(roomIds[i % roomIds.length]!, body);
      sent++;
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        const rate = sent / ((lastReport - t0) / 1000);
        log(`  ${sent}/${total} messages, ${rate.toFixed(0)}/s, about ${Math.round((total - sent) / rate)} s to go`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return Date.now() - t0;
}

/** Synapse runs its background updates after start; synapse_port_db refuses a file with pending ones, so wait as an admin would. */
async function waitBackgroundUpdates(sqlite: string, log: (m: string) => void): Promise<void> {
  const deadline = Date.now() + 600_000;
  for (let said = false; Date.now() < deadline; await sleep(1000)) {
    const db = openReadOnly(sqlite);
    let n: number;
    try {
      n = Number((db.prepare('SELECT count(*) AS n FROM background_updates').get() as { n: number }).n);
    } finally {
      db.close();
    }
    if (n === 0) return;
    if (!said) log(`  waiting for Synapse to finish ${n} background update(s)`);
    said = true;
  }
  throw new Error('Synapse did not finish its background updates within 10 minutes');
}

export function cachePath(o: BenchOptions, key: string): string {
  return join(o.cacheDir, `hs-${key}`);
}

export async function loadCached(dir: string): Promise<CachedHomeserver | undefined> {
  if (!existsSync(join(dir, 'bench.json'))) return undefined;
  const meta = JSON.parse(await readFile(join(dir, 'bench.json'), 'utf8')) as Omit<CachedHomeserver, 'secrets' | 'homeDir'>;
  const secrets = JSON.parse(await readFile(join(dir, 'secrets.json'), 'utf8')) as SandboxSecrets;
  return { ...meta, homeDir: join(dir, 'home'), secrets };
}

/** The cached homeserver for these traffic parameters, built first when missing (or when --reseed). */
export async function cachedHomeserver(o: BenchOptions, log: (m: string) => void): Promise<CachedHomeserver> {
  const version = await checkSandboxHost(o.chrootDir);
  const key = trafficKey(o, version);
  const dir = cachePath(o, key);
  if (!o.reseed) {
    const hit = await loadCached(dir);
    if (hit) {
      log(`cached homeserver ${dir} (seeded ${hit.seed.seededAt}: ${hit.seed.messages} messages at ${hit.seed.messagesPerSecond.toFixed(0)}/s)`);
      return hit;
    }
  }
  log(`seeding a homeserver with ${o.users} users, ${o.rooms} rooms, ${o.messages} messages (cached afterwards in ${dir})`);
  const t0 = Date.now();
  const stateDir = join(o.cacheDir, `seed-state-${process.pid}`);
  const serverName = `bench-${key.replace(/[^a-z0-9-]/g, '-')}.test`;
  checkInterrupted();
  const down = onCleanup(`seeding homeserver ${serverName}`, () => sandboxDown({ stateDir }).then(() => rm(stateDir, { recursive: true, force: true })));
  try {
    const state = await sandboxUp({ chrootDir: o.chrootDir, stateDir, serverName, users: o.users, rooms: o.rooms, messages: 0, postgres: false, onLog: (l) => /^(sandbox up|Synapse healthy)/.test(l) && log(`  ${l}`) });
    const secrets = await readSecrets(stateDir);
    const sessions = await Promise.all(state.users.map((u) => login(state.baseUrl, u.user, secrets.passwords[u.user]!)));
    const sendMs = await sendTraffic(sessions, state.rooms.map((r) => r.roomId), o.messages, o.concurrency, log);
    const rate = o.messages / (sendMs / 1000);
    log(`  sent ${o.messages} messages in ${(sendMs / 1000).toFixed(0)} s (${rate.toFixed(0)}/s)`);
    const kb0 = Date.now();
    for (let done = 0; done < o.keyBackup; done += 50_000) {
      checkInterrupted();
      await uploadKeyBackup(sessions[0]!, state.rooms[0]!.roomId, Math.min(50_000, o.keyBackup - done), 5_000, done);
      log(`  key backup: ${Math.min(o.keyBackup, done + 50_000)}/${o.keyBackup} sessions uploaded (${((Date.now() - kb0) / 1000).toFixed(0)} s)`);
    }
    for (const r of state.rooms) r.messages = Math.floor(o.messages / o.rooms) + (state.rooms.indexOf(r) < o.messages % o.rooms ? 1 : 0);
    state.messageCount = o.messages;
    await waitBackgroundUpdates(state.sqlitePathHost, log);
    await sandboxService(state).stop();
    const tmp = `${dir}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true, mode: 0o700 });
    const cp = await runArgv(['cp', '-a', state.dirHost, join(tmp, 'home')]);
    if (cp.exitCode !== 0) throw new Error(`copying ${state.dirHost} to the cache failed: ${cp.stderr.trim()}`);
    await rm(join(tmp, 'home', 'homeserver.pid'), { force: true });
    const seed = { users: o.users, rooms: o.rooms, messages: o.messages, seedMs: Date.now() - t0, sendMs, messagesPerSecond: rate, sqliteBytes: (await stat(state.sqlitePathHost)).size, seededAt: new Date().toISOString() };
    await writeFile(join(tmp, 'secrets.json'), JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
    await chmod(join(tmp, 'secrets.json'), 0o600);
    await writeFile(join(tmp, 'bench.json'), JSON.stringify({ key, state, seed }, null, 2) + '\n');
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    log(`seeded in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${(seed.sqliteBytes / 1e6).toFixed(1)} MB of SQLite, cached in ${dir}`);
  } finally {
    await down.run();
  }
  return (await loadCached(dir))!;
}
