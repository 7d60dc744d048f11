// `synapse-pg cutover --yes --json` on its own copy of the homeserver, timed from its events, its journal and an outside /health observer.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ScenarioHomeserver } from './homeserver.js';
import { watchHealth } from './health-watch.js';
import { onCleanup } from './cleanup.js';
import { DB, type PortSplit } from './manual.js';
import { peakMemory } from './memory.js';

export const MAIN = join(import.meta.dirname, '..', '..', 'dist', 'screens', 'main.js');

export interface WizardResult {
  /** Spawn until the stop of Synapse was issued (the journal's downtimeStartedAt). */
  phase1Ms: number;
  /** Stop issued until the observer saw /health OK again. */
  downtimeMs: number;
  /** The wizard's own figures from its journal. */
  estimatedDowntimeMs?: number;
  journalDowntimeMs?: number;
  /** Spawn until the process exited. */
  totalMs: number;
  /** step id -> ms from step-start to its final step event. */
  steps: Record<string, number>;
  verifyStepMs?: number;
  peakRssBytes?: number;
  /** synapse_port_db in each phase, from the wizard's log lines. */
  portSnapshot?: PortSplit;
  portFinal?: PortSplit;
}

interface Event { event: string; id?: string; status?: string; message?: string; level?: string; at: number }

/** opts.dbPort: where Synapse and the engine reach PostgreSQL (a latency proxy's port); opts.engine: --engine. */
export async function runWizardCutover(hs: ScenarioHomeserver, log: (m: string) => void, opts: { dbPort?: number; engine?: 'copy' | 'port-db' } = {}): Promise<WizardResult> {
  const tmp = await mkdtemp(join(tmpdir(), 'spgw-bench-'));
  // The superuser's password goes in PGPASSWORD, never on the wizard's command line (other users can read argv).
  const superuser = new URL(hs.superuserUrl());
  const superuserPassword = decodeURIComponent(superuser.password);
  superuser.password = '';
  const args = [
    MAIN, 'cutover', '--yes', '--json',
    '--synapse-exec', `chroot:${hs.exec.target.kind === 'chroot' ? hs.exec.target.dir : '/'}`,
    '--service', 'synctl',
    '-c', hs.configPath,
    '--pg-admin', `url:${superuser.toString()}`,
    '--db-host', '127.0.0.1', '--db-port', String(opts.dbPort ?? hs.pg.port),
    ...(opts.engine ? ['--engine', opts.engine] : []),
    '--db-user', DB.user, '--db-name', DB.name,
    '--db-password-file', join(tmp, 'db-password'),
  ];
  const watch = watchHealth(hs.baseUrl);
  const events: Event[] = [];
  let stderr = '';
  const t0 = Date.now();
  try {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', PGPASSWORD: superuserPassword } });
    const memory = peakMemory(child.pid!);
    // Interrupted bench: the wizard gets the same chance to stop cleanly as an admin's Ctrl-C gives it.
    const interrupt = onCleanup('synapse-pg cutover', () => void child.kill('SIGINT'));
    let rest = '';
    child.stdout.on('data', (b: Buffer) => {
      const at = Date.now();
      rest += b.toString('utf8');
      const lines = rest.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const e = { ...(JSON.parse(line) as Omit<Event, 'at'>), at };
        events.push(e);
        if (e.event === 'step') log(`  wizard: ${e.id} ${e.status} after ${((at - t0) / 1000).toFixed(1)} s`);
      }
    });
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    interrupt.drop();
    const totalMs = Date.now() - t0;
    const peakRssBytes = memory.stop();
    const done = events.find((e) => e.event === 'done');
    if (code !== 0) {
      const bad = events.filter((e) => e.event === 'done' || (e.event === 'step' && e.status === 'failed') || e.level === 'error').map((e) => JSON.stringify(e).slice(0, 800));
      throw new Error(`synapse-pg cutover exited with ${code}:\n${bad.join('\n')}\n${stderr.slice(-2000)}\n${await hs.logTail()}`);
    }
    if (!done || !(done as { ok?: boolean } & Event).ok) throw new Error('synapse-pg cutover did not report done ok');
    const journal = JSON.parse(await readFile(join(dirname(hs.configPath), '.synapse-pg', 'cutover.json'), 'utf8')) as { downtimeStartedAt?: string; estimatedDowntimeMs?: number; measuredDowntimeMs?: number };
    if (!journal.downtimeStartedAt) throw new Error('the journal has no downtimeStartedAt');
    const stopAt = Date.parse(journal.downtimeStartedAt);
    await new Promise((r) => setTimeout(r, 200));
    const back = watch.backAfter(stopAt);
    if (back === undefined) throw new Error('the /health observer never saw Synapse go down and come back');
    const steps: Record<string, number> = {};
    for (const s of events.filter((e) => e.event === 'step-start')) {
      const end = events.find((e) => e.event === 'step' && e.id === s.id && e.at >= s.at);
      if (end) steps[s.id!] = end.at - s.at;
    }
    const port = (id: string): PortSplit | undefined => {
      const m = events.filter((e) => e.event === 'log' && e.id === id).map((e) => /(?:synapse_port_db|Copy engine) took ([\d.]+) s \(setup ([\d.]+) s, copying ([\d.]+) s, (\d+) rows copied\)/.exec(e.message ?? '')).find(Boolean);
      const ms = (x: string) => Math.round(Number(x) * 1000);
      return m ? { ms: ms(m[1]!), setupMs: ms(m[2]!), copyMs: ms(m[3]!), rowsCopied: Number(m[4]) } : undefined;
    };
    return {
      phase1Ms: stopAt - t0,
      downtimeMs: back - stopAt,
      estimatedDowntimeMs: journal.estimatedDowntimeMs,
      journalDowntimeMs: journal.measuredDowntimeMs,
      totalMs,
      steps,
      verifyStepMs: steps['verify-port'],
      peakRssBytes,
      portSnapshot: port('port-snapshot'),
      portFinal: port('port-final'),
    };
  } finally {
    await watch.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}
