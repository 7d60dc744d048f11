// Runs a command in a compose service's container: `docker compose exec` while the service runs, else `docker compose run --rm
// --no-deps` (a throwaway container with the service's image, mounts, user and networks), decided afresh for every command.
import type { ExecOptions, ExecResult } from './exec.js';

export interface ComposeTarget {
  kind: 'compose';
  /** The compose file (its directory is the project's, as `docker compose -f FILE` takes it). */
  file: string;
  service: string;
  user?: string;
}

const base = (t: ComposeTarget) => ['docker', 'compose', '-f', t.file];
const userFlag = (t: ComposeTarget) => (t.user ? ['-u', t.user] : []);

/** The argv while the service runs (also what plans show). */
export function composeExecArgv(t: ComposeTarget, argv: string[]): string[] {
  return [...base(t), 'exec', '-T', ...userFlag(t), t.service, ...argv];
}

/** The argv while it is stopped: the image's entrypoint is replaced by the command itself. */
export function composeRunArgv(t: ComposeTarget, argv: string[]): string[] {
  const [cmd, ...rest] = argv;
  return [...base(t), 'run', '--rm', '--no-deps', '-T', ...userFlag(t), '--entrypoint', cmd!, t.service, ...rest];
}

/** True when the service has a running container. */
export async function composeServiceRunning(t: ComposeTarget, run: (argv: string[], o?: ExecOptions) => Promise<ExecResult>): Promise<boolean> {
  const r = await run([...base(t), 'ps', '--status', 'running', '--services'], { timeoutMs: 30_000 });
  return r.exitCode === 0 && r.stdout.split('\n').some((l) => l.trim() === t.service);
}
