// The official procedure by hand ("Using Postgres" in Synapse's docs), each command timed: the baseline the wizard is held to.
import { rename, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { runArgv, type ExecResult } from '../../src/adapters/exec.js';
import { createPgAdmin } from '../../src/adapters/pg-admin.js';
import { addPortLine, newPortSummary } from '../../src/cutover/port-output.js';
import { health } from '../../src/synapse/client.js';
import type { ScenarioHomeserver } from './homeserver.js';
import { watchHealth } from './health-watch.js';

/** synapse_port_db's own time, split as its output shows it: setup (schema, background updates) and copying. */
export interface PortSplit {
  ms: number;
  setupMs?: number;
  copyMs?: number;
  rowsCopied: number;
}

export interface ManualResult {
  /** Each command in order, ms. */
  steps: { name: string; ms: number }[];
  phase1Ms: number;
  downtimeMs: number;
  /** synapse_port_db in each phase. */
  portSnapshot: PortSplit;
  portLive: PortSplit;
}

export const DB = { user: 'synapse_user', name: 'synapse' };

function must(r: ExecResult, what: string): ExecResult {
  if (r.exitCode !== 0) throw new Error(`${what} failed (exit ${r.exitCode ?? r.spawnError}): ${(r.stderr || r.stdout).trim().split('\n').slice(-8).join('\n')}`);
  return r;
}

/** synapse_port_db as the docs run it; PYTHONUNBUFFERED only so its progress lines arrive when printed (the wizard sets it too). */
async function portDb(hs: ScenarioHomeserver, sqlite: string, pgConfig: string, what: string): Promise<PortSplit> {
  const summary = newPortSummary();
  const t0 = Date.now();
  const r = await hs.exec.run(['env', 'PYTHONUNBUFFERED=1', 'synapse_port_db', '--sqlite-database', hs.exec.toInside(sqlite), '--postgres-config', hs.exec.toInside(pgConfig)], {
    onLine: (line, stream) => addPortLine(summary, line, Date.now() - t0, stream),
  });
  const ms = Date.now() - t0;
  must(r, what);
  return { ms, setupMs: summary.setupMs, copyMs: summary.copyMs, rowsCopied: summary.rowsCopied };
}

/** dbPort: where Synapse and synapse_port_db reach PostgreSQL (a latency proxy's port; default the cluster's own). */
export async function runManual(hs: ScenarioHomeserver, log: (m: string) => void, dbPort = hs.pg.port): Promise<ManualResult> {
  const steps: ManualResult['steps'] = [];
  const timed = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const r = await f();
    steps.push({ name, ms: Date.now() - t0 });
    log(`  manual: ${name} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return r;
  };
  const inside = (p: string) => hs.exec.toInside(p);
  const snapshot = join(hs.dir, 'homeserver.db.snapshot');
  const pgConfig = join(hs.dir, 'homeserver-postgres.yaml');
  const password = `bench-${Date.now()}`;
  const watch = watchHealth(hs.baseUrl);
  try {
    const t0 = Date.now();
    await timed('create role and database', async () => {
      const admin = createPgAdmin({ kind: 'url', url: hs.superuserUrl() });
      try {
        await admin.exec(`CREATE ROLE ${DB.user} LOGIN PASSWORD '${password}'`);
        await admin.exec(`CREATE DATABASE ${DB.name} ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0 OWNER ${DB.user}`);
      } finally {
        await admin.close();
      }
    });
    await timed('write homeserver-postgres.yaml', async () => {
      const doc = parseDocument(await readFile(hs.configPath, 'utf8'));
      doc.set('database', { name: 'psycopg2', args: { user: DB.user, password, dbname: DB.name, host: '127.0.0.1', port: dbPort, cp_min: 5, cp_max: 10 } });
      await writeFile(pgConfig, doc.toString(), { mode: 0o640 });
    });
    await timed('sqlite3 .backup (snapshot)', async () => must(await runArgv(['sqlite3', hs.sqlitePath, `.backup ${snapshot}`]), 'sqlite3 .backup'));
    const portSnapshot = await timed('synapse_port_db on the snapshot', () => portDb(hs, snapshot, pgConfig, 'synapse_port_db on the snapshot'));
    const phase1Ms = Date.now() - t0;
    const stopAt = Date.now();
    await timed('synctl stop', async () => must(await hs.exec.run(['synctl', 'stop', inside(hs.configPath)]), 'synctl stop'));
    const portLive = await timed('synapse_port_db on the live file', () => portDb(hs, hs.sqlitePath, pgConfig, 'synapse_port_db on the live file'));
    await timed('mv configs', async () => {
      await rename(hs.configPath, join(hs.dir, 'homeserver-old-sqlite.yaml'));
      await rename(pgConfig, hs.configPath);
    });
    await timed('synctl start, until /health answers', async () => {
      must(await hs.exec.run(['synctl', 'start', inside(hs.configPath)]), 'synctl start');
      for (const deadline = Date.now() + 180_000; !(await health(hs.baseUrl, { timeoutMs: 1000 })); ) {
        if (Date.now() > deadline) throw new Error(`Synapse did not answer /health within 180 s on PostgreSQL\n${await hs.logTail()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    });
    await new Promise((r) => setTimeout(r, 200));
    const back = watch.backAfter(stopAt);
    if (back === undefined) throw new Error('the /health observer never saw Synapse go down and come back');
    return { steps, phase1Ms, downtimeMs: back - stopAt, portSnapshot, portLive };
  } finally {
    await watch.stop();
  }
}
