// Runs the built binary with flags only, like an admin's script would, and checks every child's argv for secrets.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findSecrets } from './secrets.js';

export const BIN = join(import.meta.dirname, '..', '..', 'dist', 'screens', 'main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Parsed --json lines. */
  events: Record<string, unknown>[];
  /** Child argvs (recorded by the exec adapter, every one) that held a watched secret in any encoding. */
  leaks: string[];
  /** Every argv the wizard started, in order (the exec adapter's record, see test/helpers/secrets.ts). */
  argvs: string[][];
}

export interface CliOptions {
  env?: Record<string, string>;
  cwd?: string;
  input?: string;
  /** Secrets that must never show up in any child's argv during the run, in any encoding. */
  watchSecrets?: string[];
  timeoutMs?: number;
  /** Called with each line of stdout as it arrives, with the child (to send it signals). */
  onLine?: (line: string, child: import('node:child_process').ChildProcess) => void;
}

export async function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  // Every child's argv is appended to this file by the exec adapter before it starts (a guard's own log wins when given).
  const logDir = mkdtempSync(join(tmpdir(), 'spgw-argv-'));
  const execLog = opts.env?.SYNAPSE_PG_TEST_EXEC_LOG ?? join(logDir, 'argv.jsonl');
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, NO_COLOR: '1', SYNAPSE_PG_TEST_EXEC_LOG: execLog, ...opts.env },
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
  const killer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(killer);
  const argvs = existsSync(execLog) ? readFileSync(execLog, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]) : [];
  rmSync(logDir, { recursive: true, force: true });
  const watch = opts.watchSecrets?.filter(Boolean) ?? [];
  const leaks = argvs.flatMap((argv) => findSecrets(argv.join('\0'), watch).map((f) => `${JSON.stringify(argv)}: ${f}`));
  const events = stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, stdout, stderr, events, leaks, argvs };
}

/** The `step` events by id. */
export function stepStatuses(events: Record<string, unknown>[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of events) if (e.event === 'step') out[String(e.id)] = String(e.status);
  return out;
}
