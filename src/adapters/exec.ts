// Runs commands through a prefix (local, another OS user, docker exec, chroot) with one result shape and a host-to-inside path map.
import { appendFileSync } from 'node:fs';
import { execa } from 'execa';
import { WizardError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import { composeExecArgv, composeRunArgv, composeServiceRunning, dockerRunArgv, type ComposeTarget } from './compose-exec.js';

export interface ExecResult {
  argv: string[];
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  failed: boolean;
  timedOut: boolean;
  isCanceled: boolean;
  /** Set when the program could not be started at all (ENOENT, EACCES...). */
  spawnError?: string;
}

export interface ExecOptions {
  /** Fed to the child's stdin: the only way secrets reach a child process. */
  input?: string;
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called for each complete line of output as it arrives. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface PathMapEntry {
  host: string;
  inside: string;
}

export type ExecTarget =
  | { kind: 'local' }
  | { kind: 'user'; user: string; via: 'sudo' | 'runuser' }
  | { kind: 'docker'; container: string; user?: string }
  | { kind: 'chroot'; dir: string; user?: string }
  | ComposeTarget;

export interface Executor {
  readonly target: ExecTarget;
  /** The full argv that would run, prefix included (for plans and logs). */
  wrap(argv: string[]): string[];
  run(argv: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** A host path as the program inside the target sees it. */
  toInside(hostPath: string): string;
  /** A path inside the target as the host sees it, when mapped. */
  toHost(insidePath: string): string | undefined;
}

export function parsePathMap(specs: string[]): PathMapEntry[] {
  return specs.map((spec) => {
    const i = spec.indexOf('=');
    if (i <= 0 || i === spec.length - 1) {
      throw new WizardError('BAD_INPUT', `--path-map "${spec}" is not HOST=INSIDE`, { hint: 'Example: --path-map /srv/synapse/data=/data' });
    }
    return { host: stripSlash(spec.slice(0, i)), inside: stripSlash(spec.slice(i + 1)) };
  });
}

function stripSlash(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

function mapPrefix(path: string, from: string, to: string): string | undefined {
  if (from === '/') return to === '/' ? path : stripSlash(to) + path;
  if (path === from) return to;
  if (path.startsWith(from + '/')) return (to === '/' ? '' : to) + path.slice(from.length);
  return undefined;
}

/** A path inside a container as the host sees it through a path map (longest inside prefix first); unchanged when none maps it. */
export function hostPathFor(map: PathMapEntry[], insidePath: string): string {
  for (const m of [...map].sort((a, b) => b.inside.length - a.inside.length)) {
    const r = mapPrefix(insidePath, m.inside, m.host);
    if (r !== undefined) return r;
  }
  return insidePath;
}

/** Parses `local`, `docker:NAME`, `chroot:DIR`, `user:NAME` into a target. */
export function parseExecTarget(spec: string, flag: string): ExecTarget {
  if (spec === 'local') return { kind: 'local' };
  const [kind, ...rest] = spec.split(':');
  const value = rest.join(':');
  if (!value) throw new WizardError('BAD_INPUT', `${flag} "${spec}" needs a value after the colon`, { hint: `Use ${flag} local, ${flag} docker:CONTAINER or ${flag} chroot:DIR` });
  if (kind === 'docker') return { kind: 'docker', container: value };
  if (kind === 'chroot') return { kind: 'chroot', dir: stripSlash(value) };
  if (kind === 'user') return { kind: 'user', user: value, via: 'runuser' };
  throw new WizardError('BAD_INPUT', `${flag} "${spec}" is not understood`, { hint: `Use ${flag} local, ${flag} docker:CONTAINER or ${flag} chroot:DIR` });
}

export function createExecutor(target: ExecTarget, pathMap: PathMapEntry[] = []): Executor {
  const map = target.kind === 'chroot' && !pathMap.some((m) => m.inside === '/') ? [...pathMap, { host: target.dir, inside: '/' }] : pathMap;
  const wrap = (argv: string[]): string[] => {
    switch (target.kind) {
      case 'local':
        return argv;
      case 'user':
        return target.via === 'sudo' ? ['sudo', '-n', '-u', target.user, '--', ...argv] : ['runuser', '-u', target.user, '--', ...argv];
      case 'docker':
        return ['docker', 'exec', '-i', ...(target.user ? ['-u', target.user] : []), target.container, ...argv];
      case 'chroot':
        return ['chroot', ...(target.user ? [`--userspec=${target.user}`] : []), target.dir, ...argv];
      case 'compose':
        return composeExecArgv(target, argv);
    }
  };
  const run = async (argv: string[], opts?: ExecOptions): Promise<ExecResult> => {
    if (target.kind === 'docker') return runArgv((await dockerRunArgv(target.container, target.user, argv, runArgv)) ?? wrap(argv), opts);
    if (target.kind !== 'compose') return runArgv(wrap(argv), opts);
    const running = await composeServiceRunning(target, runArgv);
    return runArgv(running ? composeExecArgv(target, argv) : composeRunArgv(target, argv), opts);
  };
  return {
    target,
    wrap,
    toInside(hostPath) {
      for (const m of map) {
        const r = mapPrefix(hostPath, m.host, m.inside);
        if (r !== undefined) return r;
      }
      return hostPath;
    },
    toHost(insidePath) {
      if (target.kind === 'local' || target.kind === 'user') return insidePath;
      // longest inside prefix first, so /data beats /
      for (const m of [...map].sort((a, b) => b.inside.length - a.inside.length)) {
        const r = mapPrefix(insidePath, m.inside, m.host);
        if (r !== undefined) return r;
      }
      return undefined;
    },
    run,
  };
}

/** Runs an argv as given (no shell). Never throws for a non-zero exit: the result says what happened. */
export async function runArgv(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const [file, ...args] = argv;
  recordArgv(argv);
  const child = execa(file!, args, {
    input: opts.input,
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: true,
    timeout: opts.timeoutMs,
    cancelSignal: opts.signal,
    reject: false,
    stripFinalNewline: false,
    lines: false,
    buffer: true,
    all: false,
  });
  if (opts.onLine) {
    for (const [stream, name] of [[child.stdout, 'stdout'], [child.stderr, 'stderr']] as const) {
      let rest = '';
      stream?.on('data', (chunk: Buffer) => {
        rest += chunk.toString('utf8');
        const parts = rest.split(/\r\n|\n|\r/);
        rest = parts.pop() ?? '';
        for (const line of parts) opts.onLine!(line, name);
      });
      stream?.on('end', () => {
        if (rest) opts.onLine!(rest, name);
        rest = '';
      });
    }
  }
  const r = await child;
  const code = (r as { code?: string }).code;
  const spawnFailed = r.exitCode === undefined && !r.timedOut && !r.isCanceled && !!r.failed;
  return {
    argv,
    exitCode: r.exitCode,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    failed: !!r.failed,
    timedOut: !!r.timedOut,
    isCanceled: !!r.isCanceled,
    spawnError: spawnFailed ? redact(r.shortMessage ?? code ?? 'could not start') : undefined,
  };
}

/**
 * Tests' secrets guard: with SYNAPSE_PG_TEST_EXEC_LOG set to a file, every argv is appended to it (one JSON array a line,
 * mode 0600) before the child starts, so a test sees every command line for certain, not by sampling /proc.
 */
function recordArgv(argv: string[]): void {
  const log = process.env.SYNAPSE_PG_TEST_EXEC_LOG;
  if (log) appendFileSync(log, JSON.stringify(argv) + '\n', { mode: 0o600 });
}

export { formatArgv } from '../core/argv.js';
