// PostgreSQL "on another host": the manual procedure and both engines with every connection to PostgreSQL going through a
// TCP proxy that delays each direction (the kernel here has no netem). synapse_port_db inserts batch by batch, each a round
// trip; the copy engine streams COPY, so latency costs it little. Figures are printed, never asserted.
import { startLatencyProxy } from '../helpers/latency-proxy.js';
import type { ScenarioHomeserver } from './homeserver.js';
import type { PortSplit } from './manual.js';
import { runManual } from './manual.js';
import type { BenchResults, Row } from './report.js';
import { runWizardCutover, type WizardResult } from './wizard.js';

export interface LatencyResults {
  delayMs: number;
  /** The port-db engine's run (the manual one and the copy engine's are in manualRuns/wizardRuns). */
  portDb?: WizardResult;
}

type Log = (m: string) => void;

/** Runs `f` with PostgreSQL behind a proxy that delays each direction by delayMs; the proxy's port is what Synapse uses. */
async function throughProxy<T>(hs: ScenarioHomeserver, delayMs: number, log: Log, f: (port: number) => Promise<T>): Promise<T> {
  const proxy = await startLatencyProxy({ host: '127.0.0.1', port: hs.pg.port }, delayMs);
  log(`  PostgreSQL on port ${hs.pg.port} reached through 127.0.0.1:${proxy.port}, ${delayMs} ms each way`);
  try {
    return await f(proxy.port);
  } finally {
    log(`  the proxy carried ${proxy.connections()} connection(s)`);
    await proxy.close();
  }
}

/** Each run on a fresh copy of the cached homeserver (`runningCopy`: Synapse running on SQLite). */
export function latencySteps(delayMs: number, log: Log): { name: string; run: (r: BenchResults, runningCopy: () => Promise<ScenarioHomeserver>) => Promise<void> }[] {
  const round = (name: string, f: (hs: ScenarioHomeserver, port: number, r: BenchResults) => Promise<void>) => ({
    name: `${name}, PostgreSQL ${delayMs} ms away each way`,
    run: async (r: BenchResults, runningCopy: () => Promise<ScenarioHomeserver>) => {
      r.latency ??= { delayMs };
      const hs = await runningCopy();
      try {
        await throughProxy(hs, delayMs, log, (port) => f(hs, port, r));
      } finally {
        await hs.stop();
      }
    },
  });
  return [
    round('the manual procedure (synapse_port_db twice)', async (hs, port, r) => void r.manualRuns.push(await runManual(hs, log, port))),
    round('synapse-pg cutover --engine copy', async (hs, port, r) => void r.wizardRuns.push(await runWizardCutover(hs, log, { dbPort: port, engine: 'copy' }))),
    round('synapse-pg cutover --engine port-db', async (hs, port, r) => void (r.latency!.portDb = await runWizardCutover(hs, log, { dbPort: port, engine: 'port-db' }))),
  ];
}

const rate = (p: PortSplit | undefined) => (p?.copyMs && p.rowsCopied ? Math.round(p.rowsCopied / (p.copyMs / 1000)) : undefined);
const s = (ms: number | undefined) => (ms === undefined ? '?' : `${(ms / 1000).toFixed(1)} s`);

/** The three procedures side by side: phase 1, its copy rate, and the downtime, each against the manual procedure's. */
export function latencyRows(r: BenchResults): Row[] {
  const m = r.manualRuns[0];
  const runs: [string, WizardResult | undefined][] = [['--engine copy', r.wizardRuns[0]], ['--engine port-db', r.latency?.portDb]];
  const mRate = rate(m?.portSnapshot);
  const out: Row[] = [{ figure: `copy rate of phase 1, ${r.latency?.delayMs} ms each way (rows/s)`, manual: mRate === undefined ? '?' : String(mRate), wizard: '', target: '', verdict: '' }];
  for (const [name, w] of runs) {
    const wRate = rate(w?.portSnapshot);
    out.push({ figure: `  ${name}`, manual: '', wizard: wRate === undefined ? '?' : String(wRate), ratio: wRate && mRate ? (wRate / mRate).toFixed(2) : '', target: '', verdict: '' });
  }
  out.push({ figure: 'phase 1 (Synapse serving)', manual: s(m?.phase1Ms), wizard: '', target: '', verdict: '' });
  for (const [name, w] of runs) out.push({ figure: `  ${name}`, manual: '', wizard: s(w?.phase1Ms), ratio: w && m ? (w.phase1Ms / m.phase1Ms).toFixed(2) : '', target: '', verdict: '' });
  out.push({ figure: 'downtime (stop -> /health OK on PostgreSQL)', manual: s(m?.downtimeMs), wizard: '', target: '', verdict: '' });
  for (const [name, w] of runs) out.push({ figure: `  ${name}`, manual: '', wizard: s(w?.downtimeMs), ratio: w && m ? (w.downtimeMs / m.downtimeMs).toFixed(2) : '', target: '', verdict: '' });
  return out;
}
