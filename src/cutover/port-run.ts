// Runs synapse_port_db (never --curses) through the exec prefix, streams its lines as progress, keeps the full log, and diagnoses failures.
import { createWriteStream, promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import type { Executor } from '../adapters/exec.js';
import { formatArgv } from '../adapters/exec.js';
import { WizardError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import { diagnosePort } from './diagnose.js';
import { addPortLine, newPortSummary, type PortSummary } from './port-output.js';

export interface PortRunOptions {
  exec: Executor;
  /** Host paths; mapped inside the exec target here. */
  sqlite: string;
  postgresConfig: string;
  logFile: string;
  signal?: AbortSignal;
  onProgress?: (table: string, done: number, total: number) => void;
  onState?: (state: string) => void;
  onWarn?: (line: string) => void;
}

export interface PortRunResult extends PortSummary {
  ms: number;
  logFile: string;
}

export function portArgv(exec: Executor, sqlite: string, postgresConfig: string): string[] {
  // PYTHONUNBUFFERED: print() to a pipe is block-buffered otherwise, and progress would arrive in lumps.
  return ['env', 'PYTHONUNBUFFERED=1', 'synapse_port_db', '--sqlite-database', exec.toInside(sqlite), '--postgres-config', exec.toInside(postgresConfig)];
}

export async function runPort(o: PortRunOptions): Promise<PortRunResult> {
  const argv = portArgv(o.exec, o.sqlite, o.postgresConfig);
  await fs.mkdir(dirname(o.logFile), { recursive: true, mode: 0o700 });
  const log = createWriteStream(o.logFile, { flags: 'a', mode: 0o600 });
  const t0 = Date.now();
  log.write(`== ${new Date(t0).toISOString()} ${formatArgv(o.exec.wrap(argv))}\n`);
  const summary = newPortSummary();
  let stderrText = '';
  try {
    const r = await o.exec.run(argv, {
      signal: o.signal,
      onLine: (line, stream) => {
        const at = Date.now() - t0;
        log.write(`[${(at / 1000).toFixed(1)}s ${stream}] ${redact(line)}\n`);
        if (stream === 'stderr') stderrText = (stderrText + line + '\n').slice(-20_000);
        const p = addPortLine(summary, line, at, stream);
        if (p.kind === 'progress') o.onProgress?.(p.table, p.done, p.total);
        else if (p.kind === 'state') o.onState?.(p.state);
        else if (p.kind === 'dropped' || p.kind === 'dropped-search') o.onWarn?.(redact(line).slice(0, 300));
      },
    });
    const ms = Date.now() - t0;
    log.write(`== exit code ${r.exitCode ?? '?'} after ${(ms / 1000).toFixed(1)} s\n`);
    if (r.isCanceled || o.signal?.aborted) throw new WizardError('CANCELLED', 'Stopped during synapse_port_db; running cutover again resumes the port.');
    if (r.spawnError) throw new WizardError('PORT_FAILED', `Could not start synapse_port_db: ${r.spawnError}`, { hint: 'Check --synapse-exec.' });
    if (r.exitCode !== 0) throw diagnosePort(r.exitCode, redact(stderrText || r.stderr), o.logFile);
    return { ...summary, ms, logFile: o.logFile };
  } finally {
    await new Promise<void>((res) => log.end(res));
  }
}

/** Pids of synapse_port_db / update_synapse_database / copy-driver processes working on `pathInside` (a wizard killed with SIGKILL leaves its child running). */
export async function findToolProcesses(pathInside: string, root?: string): Promise<number[]> {
  const out: number[] = [];
  for (const d of await fs.readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(d)) continue;
    const cmd = await fs.readFile(`/proc/${d}/cmdline`, 'utf8').catch(() => '');
    const args = cmd.split('\0');
    const tool = args.some((a) => a.endsWith('synapse_port_db') || a.endsWith('update_synapse_database') || a === 'synapse_port_db-copy-driver');
    if (!tool || !args.includes(pathInside) || args.includes('env') || args.includes('chroot') || args.includes('exec')) continue;
    // Same path, other chroot (another homeserver): not ours.
    if (root !== undefined && (await fs.readlink(`/proc/${d}/root`).catch(() => root)) !== root) continue;
    out.push(Number(d));
  }
  return out;
}

/** Ends such leftovers (TERM, then KILL) so two tools never write the same database at once. */
export async function stopLeftoverTools(pathsInside: string[], root: string | undefined, log: (m: string) => void): Promise<void> {
  for (const path of pathsInside) {
    for (const pid of await findToolProcesses(path, root)) {
      log(`A Synapse tool from an earlier, interrupted run is still running (pid ${pid}, on ${path}); stopping it before going on.`);
      try {
        process.kill(pid, 'SIGTERM');
        process.kill(pid, 'SIGCONT'); // a stopped process only acts on TERM once continued
      } catch {
        continue;
      }
      for (let i = 0; i < 50 && (await findToolProcesses(path, root)).includes(pid); i++) await new Promise((r) => setTimeout(r, 200));
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
}
