// A fresh copy of the cached homeserver in the chroot, plus a fresh PostgreSQL cluster, for one scenario; stop() undoes both.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { createExecutor, runArgv, type Executor } from '../../src/adapters/exec.js';
import { freePort } from '../../src/sandbox/sandbox.js';
import { startPgCluster, stopPgCluster, type PgClusterInfo } from '../../src/sandbox/pg-cluster.js';
import { createSynctlService, type SynapseService } from '../../src/synapse/service.js';
import { checkInterrupted, onCleanup } from './cleanup.js';
import type { CachedHomeserver } from './seed.js';

export interface ScenarioHomeserver {
  exec: Executor;
  service: SynapseService;
  /** Host paths. */
  dir: string;
  configPath: string;
  sqlitePath: string;
  baseUrl: string;
  pg: PgClusterInfo;
  pgPassword: string;
  /** postgresql://postgres:...@127.0.0.1:PORT/DB */
  superuserUrl(db?: string): string;
  /** Synapse's and PostgreSQL's logs, for a failure message. */
  logTail(): Promise<string>;
  stop(): Promise<void>;
}

/** Kills what the homeserver's pid file names (a cleanup must not depend on synctl working). */
async function killSynapse(dir: string): Promise<void> {
  const pid = Number((await readFile(join(dir, 'homeserver.pid'), 'utf8').catch(() => '')).trim());
  if (pid > 0) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

export async function restoreHomeserver(cached: CachedHomeserver, log: (m: string) => void): Promise<ScenarioHomeserver> {
  const s = cached.state;
  const dir = s.dirHost;
  if (!dir.startsWith(join(s.chrootDir, 'srv', 'synapse-sandbox') + '/')) throw new Error(`the cached homeserver names an unexpected directory: ${dir}`);
  if (existsSync(dir)) {
    log(`removing ${dir} left by an earlier, interrupted bench`);
    await killSynapse(dir);
    await rm(dir, { recursive: true, force: true });
  }
  checkInterrupted();
  // Newest first, each once: run by stop(), by a signal's cleanup, or by a failure below, whichever comes first.
  const stops: (() => Promise<void>)[] = [];
  const undo = async () => {
    for (let f = stops.pop(); f; f = stops.pop()) await f().catch((e) => log(`cleanup: ${(e as Error).message}`));
  };
  const cleanup = onCleanup(`homeserver copy ${dir}`, undo);
  const stop = () => cleanup.run().then(undo);
  try {
    stops.push(() => rm(dir, { recursive: true, force: true }));
    const cp = await runArgv(['cp', '-a', cached.homeDir, dir]);
    if (cp.exitCode !== 0) throw new Error(`copying the cached homeserver failed: ${cp.stderr.trim()}`);
    const port = await freePort();
    const doc = parseDocument(await readFile(s.configPathHost, 'utf8'));
    doc.setIn(['listeners', 0, 'port'], port);
    await writeFile(s.configPathHost, doc.toString());
    const baseUrl = `http://127.0.0.1:${port}`;
    const exec = createExecutor({ kind: 'chroot', dir: s.chrootDir });
    const service = createSynctlService({ exec, configPath: s.configPathHost, baseUrl });
    stops.push(async () => {
      if (await service.isRunning().catch(() => false)) await service.stop().catch(() => killSynapse(dir));
      await killSynapse(dir);
    });
    checkInterrupted();
    const pgPassword = randomBytes(18).toString('base64url');
    const pg = await startPgCluster({ port: await freePort(), superuserPassword: pgPassword });
    stops.push(() => stopPgCluster(pg));
    checkInterrupted();
    return {
      exec,
      service,
      dir,
      configPath: s.configPathHost,
      sqlitePath: s.sqlitePathHost,
      baseUrl,
      pg,
      pgPassword,
      superuserUrl: (db = 'postgres') => `postgresql://postgres:${encodeURIComponent(pgPassword)}@127.0.0.1:${pg.port}/${db}`,
      async logTail() {
        const tail = async (p: string) => (await readFile(p, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
        return `--- ${s.logPathHost}\n${await tail(s.logPathHost)}\n--- ${pg.logFile}\n${await tail(pg.logFile)}`;
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
