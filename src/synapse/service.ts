// Stops and starts Synapse for the cutover (`--service synctl|systemd[:UNIT]|compose:FILE[:SERVICE]|docker:CONTAINER`) and proves each change happened.
import { connect } from 'node:net';
import { parse as parseYaml } from 'yaml';
import type { Executor, ExecResult } from '../adapters/exec.js';
import { createExecutor, formatArgv } from '../adapters/exec.js';
import { WizardError } from '../core/errors.js';
import { health } from './client.js';
import { clientListener } from './listener.js';

export interface SynapseService {
  describe(): string;
  start(): Promise<void>;
  stop(): Promise<void>;
  isRunning(): Promise<boolean>;
}

export type ServiceSpec =
  | { kind: 'synctl' }
  | { kind: 'systemd'; unit: string }
  | { kind: 'compose'; file: string; service: string }
  | { kind: 'docker'; container: string };

const SPEC_HINT = 'Use --service synctl, systemd[:UNIT] (default unit matrix-synapse), compose:FILE[:SERVICE] (default service synapse) or docker:CONTAINER.';

export function parseServiceSpec(spec: string): ServiceSpec {
  const s = spec.trim();
  const i = s.indexOf(':');
  const kind = i < 0 ? s : s.slice(0, i);
  const rest = i < 0 ? undefined : s.slice(i + 1);
  const bad = (why: string): never => {
    throw new WizardError('BAD_INPUT', `--service "${spec}": ${why}`, { hint: SPEC_HINT });
  };
  switch (kind) {
    case 'synctl':
      if (rest !== undefined) bad('synctl takes no value; the config file comes from --config');
      return { kind: 'synctl' };
    case 'systemd': {
      const unit = rest ?? 'matrix-synapse';
      if (!/^[A-Za-z0-9@._:\\-]+$/.test(unit)) bad(`"${unit}" is not a systemd unit name`);
      return { kind: 'systemd', unit };
    }
    case 'compose': {
      if (!rest) bad('compose needs the compose file, e.g. compose:/srv/matrix/docker-compose.yml');
      const j = rest!.lastIndexOf(':');
      const tail = j < 0 ? '' : rest!.slice(j + 1);
      const split = j > 0 && tail !== '' && !tail.includes('/');
      const file = split ? rest!.slice(0, j) : rest!;
      const service = split ? tail : 'synapse';
      if (rest!.endsWith(':')) bad('the service name after the last colon is empty');
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(service)) bad(`"${service}" is not a compose service name`);
      return { kind: 'compose', file, service };
    }
    case 'docker':
      if (!rest) bad('docker needs the container name, e.g. docker:synapse');
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(rest!)) bad(`"${rest}" is not a container name or id`);
      return { kind: 'docker', container: rest! };
    default:
      return bad(`"${kind}" is not a known kind of service`);
  }
}

export interface ServiceOptions {
  exec: Executor;
  /** homeserver.yaml as the host sees it (synctl maps it inside the executor's target). */
  configPath?: string;
  /** Client listener used to prove a start (/health); derived from the config for synctl when omitted. */
  baseUrl?: string;
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
  onLog?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function pollUntil(check: () => Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}

/** True when something accepts TCP connections on host:port. */
export function portOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (open: boolean) => {
      sock.destroy();
      resolve(open);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

async function runChecked(exec: Executor, argv: string[], timeoutMs: number, what: string, hint: string, onLog?: (l: string) => void): Promise<ExecResult> {
  const r = await exec.run(argv, { timeoutMs, onLine: onLog ? (l) => onLog(l) : undefined });
  if (r.spawnError || r.timedOut || r.exitCode !== 0) {
    const why = r.spawnError ?? (r.timedOut ? `timed out after ${timeoutMs / 1000} s` : `exit code ${r.exitCode}`);
    const out = (r.stderr || r.stdout).trim().split('\n').slice(-5).join('\n');
    throw new WizardError('SERVICE', `${what} failed (${why}): ${formatArgv(exec.wrap(argv))}${out ? `\n${out}` : ''}`, { hint });
  }
  return r;
}

async function waitHealthy(baseUrl: string, timeoutMs: number, what: string, hint: string): Promise<void> {
  if (!(await pollUntil(() => health(baseUrl, { timeoutMs: 2000 }), timeoutMs, 500))) {
    throw new WizardError('SERVICE', `${what}: ${baseUrl}/health did not answer OK within ${timeoutMs / 1000} s`, { hint });
  }
}

interface SynctlFacts {
  pidFile: string;
  host: string;
  port: number;
  logHint: string;
}

/** Reads pid_file and the first HTTP listener with the client resource from the config, through the executor. */
async function readSynctlFacts(exec: Executor, configInside: string): Promise<SynctlFacts> {
  const r = await exec.run(['cat', configInside], { timeoutMs: 10_000 });
  if (r.exitCode !== 0) throw new WizardError('CONFIG_UNREADABLE', `cannot read ${configInside}: ${r.spawnError ?? r.stderr.trim()}`, { hint: 'Pass the homeserver.yaml that synctl should use with --config.' });
  const cfg = parseYaml(r.stdout) as Record<string, any> | null;
  const pidFile = cfg?.pid_file;
  if (typeof pidFile !== 'string') throw new WizardError('CONFIG_CONFLICT', `${configInside} has no pid_file`, { hint: 'synctl needs pid_file in homeserver.yaml; add e.g. pid_file: /var/run/matrix-synapse.pid' });
  const l = clientListener(cfg ?? {}, { orFirst: true });
  if (!l) throw new WizardError('CONFIG_CONFLICT', `${configInside} has no HTTP listener with a port`, { hint: 'Add a listener with the client resource so the wizard can check /health.' });
  const logHint = typeof cfg?.log_config === 'string' ? `Check the file named in ${cfg.log_config}` : 'Check the Synapse log';
  return { pidFile, host: l.host, port: l.port, logHint };
}

async function readPid(exec: Executor, pidFile: string): Promise<number | undefined> {
  const r = await exec.run(['cat', pidFile], { timeoutMs: 10_000 });
  const pid = Number(r.stdout.trim());
  return r.exitCode === 0 && Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

async function pidAlive(exec: Executor, pid: number): Promise<boolean> {
  // /proc/PID/stat shows state Z for a zombie: an exited process that still holds its pid.
  const r = await exec.run(['sh', '-c', 'kill -0 "$1" 2>/dev/null && ! grep -q "^[0-9]* ([^)]*) Z" "/proc/$1/stat" 2>/dev/null', 'sh', String(pid)], { timeoutMs: 10_000 });
  return r.exitCode === 0;
}

export function createSynctlService(opts: ServiceOptions): SynapseService {
  const { exec } = opts;
  if (!opts.configPath) throw new WizardError('BAD_INPUT', '--service synctl needs the homeserver config path', { hint: 'Pass --config /path/to/homeserver.yaml.' });
  const configInside = exec.toInside(opts.configPath);
  const facts = () => readSynctlFacts(exec, configInside);
  const baseUrlOf = (f: SynctlFacts) => opts.baseUrl ?? `http://${f.host.includes(':') ? `[${f.host}]` : f.host}:${f.port}`;
  const running = async (f: SynctlFacts) => {
    const pid = await readPid(exec, f.pidFile);
    return pid !== undefined && (await pidAlive(exec, pid));
  };
  return {
    describe: () => `synctl with ${configInside}${exec.target.kind === 'local' ? '' : ` (${formatArgv(exec.wrap([]))})`}`,
    isRunning: async () => running(await facts()),
    async start() {
      const f = await facts();
      const timeoutMs = opts.startTimeoutMs ?? 180_000;
      await runChecked(exec, ['synctl', 'start', configInside], timeoutMs, 'synctl start', `${f.logHint}; synctl start returns an error when Synapse exits during startup.`, opts.onLog);
      await waitHealthy(baseUrlOf(f), timeoutMs, 'Synapse started but is not healthy', `${f.logHint}; Synapse may still be applying database updates.`);
    },
    async stop() {
      const f = await facts();
      const timeoutMs = opts.stopTimeoutMs ?? 120_000;
      const pid = await readPid(exec, f.pidFile);
      await runChecked(exec, ['synctl', 'stop', configInside], timeoutMs, 'synctl stop', `Synapse did not exit; find it with: ps -p ${pid ?? '<pid from ' + f.pidFile + '>'}`, opts.onLog);
      const gone = pid === undefined || (await pollUntil(async () => !(await pidAlive(exec, pid)), timeoutMs));
      if (!gone) throw new WizardError('SERVICE', `Synapse (pid ${pid}) is still running after synctl stop`, { hint: `Stop it by hand (kill ${pid}) before the cutover continues.` });
      const closed = await pollUntil(async () => !(await portOpen(f.host, f.port)), 30_000);
      if (!closed) {
        throw new WizardError('SERVICE', `port ${f.port} on ${f.host} still accepts connections after Synapse stopped`, {
          hint: 'Another Synapse process (a worker, or one started by systemd or Docker) still listens there; stop it before the cutover.',
        });
      }
    },
  };
}

interface ServiceArgv {
  start: string[];
  stop: string[];
  running: string[];
  /** The last lines of Synapse's output, for a start that failed (docker logs). */
  logs?: string[];
}

/** A service driven by a start/stop/is-running argv triple (systemd, compose, docker), run on this host. */
function argvService(opts: ServiceOptions, name: string, argv: ServiceArgv, isRunning: (r: ExecResult) => boolean): SynapseService {
  // `docker compose`, `docker` and `systemctl` run here, whatever --synapse-exec says about where Synapse's tools run
  const exec = createExecutor({ kind: 'local' });
  const hint = `Check with: ${formatArgv(exec.wrap(argv.running))}`;
  const running = async () => isRunning(await exec.run(argv.running, { timeoutMs: 30_000 }));
  return {
    describe: () => name,
    isRunning: running,
    async start() {
      const timeoutMs = opts.startTimeoutMs ?? 180_000;
      await runChecked(exec, argv.start, timeoutMs, `starting ${name}`, hint, opts.onLog);
      if (!opts.baseUrl) return;
      // a container whose Synapse exits is not running any more: say so at once, with its last lines, instead of waiting out the timeout
      let exited = 0;
      const ok = await pollUntil(async () => {
        if (await health(opts.baseUrl!, { timeoutMs: 2000 })) return true;
        exited = (await running()) ? 0 : exited + 1;
        return exited >= 3;
      }, timeoutMs, 1000);
      if (ok && exited < 3) return;
      const tail = argv.logs ? (({ stdout, stderr }) => stdout + stderr)(await exec.run(argv.logs, { timeoutMs: 30_000 })).trim().split('\n').slice(-8).join('\n') : '';
      for (const l of tail ? tail.split('\n') : []) opts.onLog?.(l);
      const what = exited >= 3 ? `${name} exited after the start; Synapse did not stay up` : `${name} started but ${opts.baseUrl}/health did not answer OK within ${timeoutMs / 1000} s`;
      throw new WizardError('SERVICE', `${what}${tail ? `:\n${tail}` : ''}`, { hint: `${hint}, and read Synapse's log${argv.logs ? ` (${formatArgv(argv.logs)})` : ''}.` });
    },
    async stop() {
      await runChecked(exec, argv.stop, opts.stopTimeoutMs ?? 120_000, `stopping ${name}`, hint, opts.onLog);
      if (isRunning(await exec.run(argv.running, { timeoutMs: 30_000 }))) throw new WizardError('SERVICE', `${name} still runs after stop`, { hint });
    },
  };
}

export function createService(spec: ServiceSpec, opts: ServiceOptions): SynapseService {
  switch (spec.kind) {
    case 'synctl':
      return createSynctlService(opts);
    case 'systemd':
      return argvService(opts, `systemd unit ${spec.unit}`, { start: ['systemctl', 'start', spec.unit], stop: ['systemctl', 'stop', spec.unit], running: ['systemctl', 'is-active', '--quiet', spec.unit] }, (r) => r.exitCode === 0);
    case 'compose': {
      const base = ['docker', 'compose', '-f', spec.file];
      return argvService(opts, `compose service ${spec.service} in ${spec.file}`, { start: [...base, 'start', spec.service], stop: [...base, 'stop', spec.service], running: [...base, 'ps', '--status', 'running', '--services'], logs: [...base, 'logs', '--no-color', '--tail', '20', spec.service] }, (r) => r.exitCode === 0 && r.stdout.split('\n').some((l) => l.trim() === spec.service));
    }
    case 'docker':
      return argvService(opts, `docker container ${spec.container}`, { start: ['docker', 'start', spec.container], stop: ['docker', 'stop', spec.container], running: ['docker', 'inspect', '-f', '{{.State.Running}}', spec.container], logs: ['docker', 'logs', '--tail', '20', spec.container] }, (r) => r.exitCode === 0 && r.stdout.trim() === 'true');
  }
}
