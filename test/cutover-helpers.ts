// Shared by the cutover tests: run the BUILT binary with flags only, read its --json events as they come, hash files, run psql.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PracticeHomeserver } from './helpers/synapse.js';

export const MAIN = join(import.meta.dirname, '..', 'dist', 'screens', 'main.js');

export interface WizardEvent {
  event: string;
  id?: string;
  status?: string;
  level?: string;
  message?: string;
  hint?: string;
  code?: string;
  ok?: boolean;
  [k: string]: unknown;
}

export interface WizardRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  events: WizardEvent[];
  /** Everything printed, for the secrets guard. */
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `node dist/screens/main.js ARGS`; onEvent sees each JSON line as it arrives (and may kill the child). */
export function runWizard(args: string[], onEvent?: (e: WizardEvent, child: ChildProcess) => void, env: NodeJS.ProcessEnv = {}): Promise<WizardRun> {
  const t0 = Date.now();
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: WizardEvent[] = [];
  let rest = '';
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => {
    stdout += b.toString('utf8');
    rest += b.toString('utf8');
    const lines = rest.split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      const e = JSON.parse(line) as WizardEvent;
      events.push(e);
      onEvent?.(e, child);
    }
  });
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, events, stdout, stderr, ms: Date.now() - t0 })));
}

export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** psql as the postgres OS user on the practice cluster (peer auth over its socket). */
export function psql(hs: PracticeHomeserver, sql: string, db = 'postgres'): string {
  const pg = hs.postgres!;
  const r = spawnSync('runuser', ['-u', 'postgres', '--', join(pg.binDir, 'psql'), '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', pg.socketDir, '-p', String(pg.port), '-d', db, '-f', '-'], { input: sql, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** The environment that goes with cutoverFlags: the superuser's password for `--pg-admin url:`, as the README says to pass it. */
export function adminEnv(hs: PracticeHomeserver): NodeJS.ProcessEnv {
  return { PGPASSWORD: hs.postgres!.password };
}

/** The flags that point the wizard at a practice homeserver and its cluster. */
export function cutoverFlags(hs: PracticeHomeserver, passwordFile: string, extra: string[] = []): string[] {
  const pg = hs.postgres!;
  return [
    'cutover', '--yes', '--json',
    '--synapse-exec', `chroot:${hs.state.chrootDir}`,
    '--service', 'synctl',
    '-c', hs.configPath,
    // the superuser's password is never on the command line: the URL has none, and PGPASSWORD (adminEnv) carries it
    '--pg-admin', `url:postgresql://postgres@127.0.0.1:${pg.port}/postgres`,
    '--db-host', '127.0.0.1',
    '--db-port', String(pg.port),
    '--db-password-file', passwordFile,
    ...extra,
  ];
}

export function stepEvent(run: WizardRun, id: string): WizardEvent | undefined {
  return run.events.find((e) => e.event === 'step' && e.id === id);
}

export function done(run: WizardRun): WizardEvent | undefined {
  return run.events.find((e) => e.event === 'done');
}

export function logs(run: WizardRun, id?: string): string[] {
  return run.events.filter((e) => e.event === 'log' && (id === undefined || e.id === id)).map((e) => String(e.message));
}

/** What went wrong, for assertion messages. */
export function describeRun(run: WizardRun): string {
  return run.events.filter((e) => e.event === 'step' || e.event === 'done' || (e.event === 'log' && e.level !== 'info')).map((e) => JSON.stringify(e).slice(0, 600)).join('\n') + (run.stderr ? `\nstderr: ${run.stderr.slice(-2000)}` : '');
}
