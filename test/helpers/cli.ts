// Runs the built binary with flags only, like an admin's script would, and watches every process's argv for secrets.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const BIN = join(import.meta.dirname, '..', '..', 'dist', 'screens', 'main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Parsed --json lines. */
  events: Record<string, unknown>[];
  /** argv lines of other processes seen during the run that contained a watched secret. */
  leaks: string[];
  /** How many distinct processes were seen while watching (proves the watcher saw the children). */
  seenProcesses: number;
}

export interface CliOptions {
  env?: Record<string, string>;
  cwd?: string;
  input?: string;
  /** Secrets that must never show up in any process's argv during the run. */
  watchSecrets?: string[];
  timeoutMs?: number;
  /** Called with each line of stdout as it arrives, with the child (to send it signals). */
  onLine?: (line: string, child: import('node:child_process').ChildProcess) => void;
}

export async function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout.on('data', (d) => {
    stdout += d;
    if (!opts.onLine) return;
    pending += d;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) opts.onLine(l, child);
  });
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end(opts.input ?? '');
  const leaks: string[] = [];
  const seen = new Set<string>();
  const watch = opts.watchSecrets?.filter(Boolean) ?? [];
  const timer = watch.length
    ? setInterval(() => {
        for (const pid of readdirSync('/proc')) {
          if (!/^\d+$/.test(pid)) continue;
          let cmd: string;
          try {
            cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
          } catch {
            continue;
          }
          seen.add(`${pid}:${cmd}`);
          for (const s of watch) if (cmd.includes(s)) leaks.push(cmd);
        }
      }, 3)
    : undefined;
  const killer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(killer);
  if (timer) clearInterval(timer);
  const events = stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, stdout, stderr, events, leaks, seenProcesses: seen.size };
}

/** The `step` events by id. */
export function stepStatuses(events: Record<string, unknown>[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of events) if (e.event === 'step') out[String(e.id)] = String(e.status);
  return out;
}
