// Runs a command in Synapse's container: `docker compose exec` while the compose service runs, else `docker compose run --rm --no-deps`
// (a throwaway container with the service's image, mounts, user and networks); for docker:CONTAINER, `docker exec`, else `docker run
// --rm --volumes-from`. Decided afresh for every command, since the cutover stops and starts Synapse between them.
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

/**
 * A stopped `docker:CONTAINER`: a throwaway container of its image with its volumes (--volumes-from) and network; undefined while it
 * runs (then `docker exec`) or when it does not exist.
 */
export async function dockerRunArgv(container: string, user: string | undefined, argv: string[], run: (argv: string[], o?: ExecOptions) => Promise<ExecResult>): Promise<string[] | undefined> {
  const r = await run(['docker', 'inspect', '--type', 'container', '-f', '{{.State.Running}}|{{.Config.Image}}|{{.HostConfig.NetworkMode}}', container], { timeoutMs: 30_000 });
  const [running, image, network] = r.stdout.trim().split('|');
  if (r.exitCode !== 0 || running !== 'false' || !image) return undefined;
  const [cmd, ...rest] = argv;
  return ['docker', 'run', '--rm', '-i', ...(user ? ['-u', user] : []), '--volumes-from', container, '--network', network || 'default', '--entrypoint', cmd!, image, ...rest];
}

/** True when the service has a running container. */
export async function composeServiceRunning(t: ComposeTarget, run: (argv: string[], o?: ExecOptions) => Promise<ExecResult>): Promise<boolean> {
  const r = await run([...base(t), 'ps', '--status', 'running', '--services'], { timeoutMs: 30_000 });
  return r.exitCode === 0 && r.stdout.split('\n').some((l) => l.trim() === t.service);
}
