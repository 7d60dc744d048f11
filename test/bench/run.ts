// `npm run bench`: the wizard's cutover against the manual synapse_port_db procedure on copies of the same homeserver, in one run.
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createPgAdmin } from '../../src/adapters/pg-admin.js';
import { cleanupAll, cleanupOnSignals, interrupted, onCleanup } from './cleanup.js';
import { restoreHomeserver, type ScenarioHomeserver } from './homeserver.js';
import { benchLock } from './lock.js';
import { DB, runManual } from './manual.js';
import { benchOptions, type BenchOptions } from './options.js';
import { medianOf } from './median.js';
import { rows, table, writeResults, type BenchResults } from './report.js';
import { cachedHomeserver, type CachedHomeserver } from './seed.js';
import { timeStartup } from './startup.js';
import { timeVerification } from './verification.js';
import { runWizardCutover } from './wizard.js';
import { latencyRows, latencySteps } from './latency.js';

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

async function manualRound({ r, cached }: BenchContext): Promise<void> {
  const hs = await runningCopy(cached);
  try {
    r.manualRuns.push(await runManual(hs, log));
    await provePostgres(hs);
  } finally {
    await hs.stop();
  }
}

async function wizardRound({ r, cached }: BenchContext): Promise<void> {
  const hs = await runningCopy(cached);
  try {
    r.wizardRuns.push(await runWizardCutover(hs, log));
    await provePostgres(hs);
    await hs.service.stop();
    const final = join(hs.dir, 'synapse-pg-snapshot', 'final.db');
    const v = await timeVerification(existsSync(final) ? final : hs.sqlitePath, hs.superuserUrl(), DB.name);
    r.verificationRuns.push(v);
    log(`  verification: checkPort ${v.checkPortMs} ms, plain count(*) ${v.plainMs} ms`);
  } finally {
    await hs.stop();
  }
}

/** The bench as a list of steps, in the order they run; rounds alternate which procedure goes first. */
function benchSteps(o: BenchOptions): { name: string; run: (ctx: BenchContext) => Promise<void> }[] {
  if (o.latencyMs > 0) return latencySteps(o.latencyMs, log).map((st) => ({ name: st.name, run: ({ r, cached }) => st.run(r, () => runningCopy(cached)) }));
  const manual = { name: 'the manual procedure (synapse_port_db on a snapshot, stop, synapse_port_db on the live file, mv, start)', run: manualRound };
  const wizard = { name: 'synapse-pg cutover --yes --json, then the verification timed on its result', run: wizardRound };
  const rounds = Array.from({ length: o.rounds }, (_, i) => (i % 2 ? [wizard, manual] : [manual, wizard]).map((s) => ({ ...s, name: `${o.rounds > 1 ? `round ${i + 1}/${o.rounds}: ` : ''}${s.name}` })));
  return [{ name: "the wizard's start-up", run: async ({ r }) => void (r.startup = await timeStartup(o.startupRuns, log)) }, ...rounds.flat()];
}

async function main(): Promise<void> {
  const o = benchOptions(process.argv.slice(2));
  cleanupOnSignals(log);
  if (!existsSync(join(import.meta.dirname, '..', '..', 'dist', 'screens', 'main.js'))) throw new Error('dist/ is missing: run npm run build (npm run bench does)');
  onCleanup('bench.lock', await benchLock(o.cacheDir));
  const cached = await cachedHomeserver(o, log);
  if (o.seedOnly) return;
  const results: BenchResults = {
    startedAt: new Date().toISOString(),
    host: { cpus: cpus().length, loadBefore: loadavg(), node: process.version },
    manualRuns: [],
    wizardRuns: [],
    verificationRuns: [],
    traffic: { key: cached.key, users: cached.seed.users, rooms: cached.seed.rooms, messages: cached.seed.messages, sqliteBytes: cached.seed.sqliteBytes, seedMs: cached.seed.seedMs, messagesPerSecond: cached.seed.messagesPerSecond },
  };
  // A failed step is reported and the others still run: their figures stand on their own.
  const failed: string[] = [];
  for (const step of benchSteps(o)) {
    if (interrupted()) return;
    log(`${step.name}`);
    try {
      await step.run({ o, cached, r: results });
    } catch (e) {
      failed.push(`${step.name}: ${(e as Error).message}`);
      log(`  failed: ${(e as Error).message}`);
    }
  }
  results.host.loadAfter = loadavg();
  if (results.manualRuns.length) results.manual = medianOf(results.manualRuns);
  if (results.wizardRuns.length) results.wizard = medianOf(results.wizardRuns);
  if (results.verificationRuns.length) results.verification = medianOf(results.verificationRuns);
  results.failures = failed;
  results.rows = o.latencyMs > 0 ? latencyRows(results) : rows(results);
  const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(' ');
  console.log(`\nsynapse-pg bench: ${cached.seed.messages} messages, ${cached.seed.users} users, ${cached.seed.rooms} rooms, ${(cached.seed.sqliteBytes / 1e6).toFixed(0)} MB of SQLite; ${results.host.cpus} CPUs, load ${load(results.host.loadBefore)} before, ${load(results.host.loadAfter)} after (others' work makes every figure noisy)\n`);
  console.log(table(results.rows));
  if (o.rounds > 1) console.log(`\n(medians of ${o.rounds} rounds; every run is in the JSON file)`);
  if (results.manual) console.log(`\nmanual steps: ${results.manual.steps.map((s) => `${s.name} ${(s.ms / 1000).toFixed(1)} s`).join('; ')}`);
  if (results.wizard) console.log(`wizard steps: ${Object.entries(results.wizard.steps).map(([id, ms]) => `${id} ${(ms / 1000).toFixed(1)} s`).join('; ')}`);
  console.log(`\nresults: ${await writeResults(o.cacheDir, results)}`);
  if (failed.length) throw new Error(`${failed.length} step(s) failed:\n${failed.join('\n')}`);
}

try {
  await main();
} catch (e) {
  if (!interrupted()) {
    log(`failed: ${(e as Error).stack ?? String(e)}`);
    process.exitCode = 1;
  }
} finally {
  await cleanupAll(log);
}
