// `npm run bench`: the wizard's cutover against the manual synapse_port_db procedure on copies of the same homeserver, in one run.
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createPgAdmin } from '../../src/adapters/pg-admin.js';
import { cleanupAll, cleanupOnSignals } from './cleanup.js';
import { restoreHomeserver, type ScenarioHomeserver } from './homeserver.js';
import { DB, runManual } from './manual.js';
import { benchOptions, type BenchOptions } from './options.js';
import { rows, table, writeResults, type BenchResults } from './report.js';
import { cachedHomeserver, type CachedHomeserver } from './seed.js';
import { timeStartup } from './startup.js';
import { timeVerification } from './verification.js';
import { runWizardCutover } from './wizard.js';

const log = (m: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}`);

/** Synapse answers, but is it the one on PostgreSQL? Its role must hold a session in the new database. */
async function provePostgres(hs: ScenarioHomeserver): Promise<void> {
  const admin = createPgAdmin({ kind: 'url', url: hs.superuserUrl() });
  try {
    for (let i = 0; i < 40; i++) {
      const [r] = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = '${DB.user}' AND datname = '${DB.name}'`);
      if ((r?.n ?? 0) > 0) return;
      await new Promise((res) => setTimeout(res, 250));
    }
    throw new Error('Synapse answers /health, but holds no session in PostgreSQL');
  } finally {
    await admin.close();
  }
}

/** A fresh copy of the cached homeserver with Synapse running on SQLite, as an admin's would be before the move. */
async function runningCopy(cached: CachedHomeserver): Promise<ScenarioHomeserver> {
  const hs = await restoreHomeserver(cached, log);
  const t0 = Date.now();
  await hs.service.start();
  log(`  Synapse on SQLite healthy at ${hs.baseUrl} after ${((Date.now() - t0) / 1000).toFixed(1)} s; PostgreSQL on port ${hs.pg.port}`);
  return hs;
}

interface BenchContext {
  o: BenchOptions;
  cached: CachedHomeserver;
  r: BenchResults;
}

/** The bench as a list of steps, in the order they run; each fills its part of the results. */
const steps: { name: string; run: (ctx: BenchContext) => Promise<void> }[] = [
  {
    name: "the wizard's start-up",
    async run({ r, o }) {
      r.startup = await timeStartup(o.startupRuns, log);
    },
  },
  {
    name: 'the manual procedure (synapse_port_db on a snapshot, stop, synapse_port_db on the live file, mv, start)',
    async run({ r, cached }) {
      const hs = await runningCopy(cached);
      try {
        r.manual = await runManual(hs, log);
        await provePostgres(hs);
      } finally {
        await hs.stop();
      }
    },
  },
  {
    name: 'synapse-pg cutover --yes --json, then the verification timed on its result',
    async run({ r, cached }) {
      const hs = await runningCopy(cached);
      try {
        r.wizard = await runWizardCutover(hs, log);
        await provePostgres(hs);
        await hs.service.stop();
        const final = join(hs.dir, 'synapse-pg-snapshot', 'final.db');
        r.verification = await timeVerification(existsSync(final) ? final : hs.sqlitePath, hs.superuserUrl(), DB.name);
        log(`  verification: checkPort ${r.verification.checkPortMs} ms, plain count(*) ${r.verification.plainMs} ms`);
      } finally {
        await hs.stop();
      }
    },
  },
];

async function main(): Promise<void> {
  const o = benchOptions(process.argv.slice(2));
  cleanupOnSignals(log);
  if (!existsSync(join(import.meta.dirname, '..', '..', 'dist', 'screens', 'main.js'))) throw new Error('dist/ is missing: run npm run build (npm run bench does)');
  const cached = await cachedHomeserver(o, log);
  if (o.seedOnly) return;
  const results: BenchResults = {
    startedAt: new Date().toISOString(),
    host: { cpus: cpus().length, loadAverage: loadavg(), node: process.version },
    traffic: { key: cached.key, users: cached.seed.users, rooms: cached.seed.rooms, messages: cached.seed.messages, sqliteBytes: cached.seed.sqliteBytes, seedMs: cached.seed.seedMs, messagesPerSecond: cached.seed.messagesPerSecond },
  };
  let failed: unknown;
  for (const step of steps) {
    log(`${step.name}`);
    try {
      await step.run({ o, cached, r: results });
    } catch (e) {
      failed = e;
      log(`  failed: ${(e as Error).message}`);
      break;
    }
  }
  results.host.loadAverage = [...results.host.loadAverage, ...loadavg()];
  results.rows = rows(results);
  console.log(`\nsynapse-pg bench: ${cached.seed.messages} messages, ${cached.seed.users} users, ${cached.seed.rooms} rooms, ${(cached.seed.sqliteBytes / 1e6).toFixed(0)} MB of SQLite; ${results.host.cpus} CPUs, load ${loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
  console.log(table(results.rows));
  if (results.manual) console.log(`\nmanual steps: ${results.manual.steps.map((s) => `${s.name} ${(s.ms / 1000).toFixed(1)} s`).join('; ')}`);
  if (results.wizard) console.log(`wizard steps: ${Object.entries(results.wizard.steps).map(([id, ms]) => `${id} ${(ms / 1000).toFixed(1)} s`).join('; ')}`);
  console.log(`\nresults: ${await writeResults(o.cacheDir, results)}`);
  if (failed) throw failed;
}

try {
  await main();
} catch (e) {
  log(`failed: ${(e as Error).stack ?? String(e)}`);
  process.exitCode = 1;
} finally {
  await cleanupAll(log);
}
