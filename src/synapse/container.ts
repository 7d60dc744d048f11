// A Synapse run by Docker, as the engine itself resolves it: `docker compose config --format json` for a compose service (.env,
// ${VAR}, profiles, mounts, user, networks), `docker inspect` for a plain container. From that the wizard derives where Synapse's
// tools run, the host-to-container path map, the URL /health answers on from the host, and how Synapse reaches PostgreSQL.
import { dirname, resolve } from 'node:path';
import { runArgv, type ExecTarget, type PathMapEntry } from '../adapters/exec.js';
import { WizardError } from '../core/errors.js';
import type { ServiceSpec } from './service.js';

export interface ContainerMount extends PathMapEntry {
  readOnly: boolean;
}

export interface ContainerNetwork {
  name: string;
  /** From `docker network inspect`; unknown while the network does not exist yet (compose creates it on `up`). */
  subnet?: string;
  gateway?: string;
}

export interface ContainerFacts {
  spec: Extract<ServiceSpec, { kind: 'compose' | 'docker' }>;
  /** compose: the resolved model of the whole project, as `docker compose config --format json` printed it, with the service's
   * image's environment and user filled in where the service sets none (what its container really gets). */
  model?: string;
  image?: string;
  user?: string;
  env: Record<string, string>;
  mounts: ContainerMount[];
  ports: { containerPort: number; hostIp: string; hostPort: number }[];
  networks: ContainerNetwork[];
  /** network_mode: host: the container shares the host's addresses (localhost is the host). */
  hostNetwork: boolean;
  /** extra_hosts maps host.docker.internal to host-gateway. */
  hostGateway: boolean;
}

const HINT_ENGINE = 'Is Docker running (docker info) and is docker compose v2 installed (docker compose version)? Run the wizard as root or as a member of the docker group.';

async function docker(argv: string[], what: string): Promise<string> {
  const r = await runArgv(['docker', ...argv], { timeoutMs: 60_000 });
  if (r.spawnError) throw new WizardError('SERVICE', `${what}: docker cannot be run (${r.spawnError})`, { hint: HINT_ENGINE });
  if (r.exitCode !== 0) throw new WizardError('SERVICE', `${what} failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ')}`, { hint: HINT_ENGINE });
  return r.stdout;
}

async function networkInfo(name: string): Promise<ContainerNetwork> {
  const r = await runArgv(['docker', 'network', 'inspect', '-f', '{{json .IPAM.Config}}', name], { timeoutMs: 30_000 });
  if (r.exitCode !== 0) return { name };
  const cfg = (JSON.parse(r.stdout || '[]') as { Subnet?: string; Gateway?: string }[] | null)?.find((c) => c.Subnet && !c.Subnet.includes(':'));
  return { name, subnet: cfg?.Subnet, gateway: cfg?.Gateway };
}

const envObject = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (Array.isArray(v)) for (const s of v.map(String)) out[s.slice(0, s.indexOf('='))] = s.slice(s.indexOf('=') + 1);
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = String(x);
  return out;
};

export async function resolveCompose(spec: Extract<ServiceSpec, { kind: 'compose' }>): Promise<ContainerFacts> {
  const file = resolve(spec.file);
  const resolved = await docker(['compose', '-f', file, 'config', '--format', 'json'], `docker compose -f ${file} config`);
  const m = JSON.parse(resolved) as { name?: string; services?: Record<string, any>; networks?: Record<string, { name?: string; external?: boolean }> };
  const s = m.services?.[spec.service];
  if (!s) throw new WizardError('BAD_INPUT', `${file} has no service "${spec.service}" (services: ${Object.keys(m.services ?? {}).join(', ') || 'none'}).`, { hint: 'Name the service after the last colon: --service compose:FILE:SERVICE.' });
  // the image's ENV and USER apply unless the service overrides them (UID/GID decide who Synapse runs as in the official image)
  const img = s.image ? await runArgv(['docker', 'image', 'inspect', '-f', '{{json .Config}}', s.image], { timeoutMs: 30_000 }) : undefined;
  const imageConfig = img?.exitCode === 0 ? (JSON.parse(img.stdout) as { Env?: string[]; User?: string }) : {};
  s.environment = { ...envObject(imageConfig.Env), ...envObject(s.environment) };
  if (s.user === undefined && imageConfig.User) s.user = imageConfig.User;
  const model = JSON.stringify(m, null, 2);
  const mounts: ContainerMount[] = (Array.isArray(s.volumes) ? s.volumes : [])
    .filter((v: any) => v?.type === 'bind' && typeof v.source === 'string' && typeof v.target === 'string')
    .map((v: any) => ({ host: resolve(dirname(file), v.source), inside: v.target, readOnly: v.read_only === true }));
  const ports = (Array.isArray(s.ports) ? s.ports : [])
    .filter((p: any) => p?.published !== undefined && (p.protocol ?? 'tcp') === 'tcp')
    .map((p: any) => ({ containerPort: Number(p.target), hostIp: p.host_ip || '127.0.0.1', hostPort: Number(p.published) }));
  const hostNetwork = s.network_mode === 'host';
  const keys = hostNetwork ? [] : Object.keys(s.networks ?? { default: null });
  const networks = await Promise.all(keys.map((k) => networkInfo(m.networks?.[k]?.name ?? `${m.name}_${k}`)));
  const extra = Array.isArray(s.extra_hosts) ? s.extra_hosts.map(String) : Object.entries(s.extra_hosts ?? {}).map(([k, v]) => `${k}=${String(v)}`);
  return {
    spec, model, image: s.image, user: s.user === undefined ? undefined : String(s.user), env: envObject(s.environment), mounts, ports, networks, hostNetwork,
    hostGateway: extra.some((e: string) => /host-gateway/.test(e)),
  };
}

export async function inspectContainer(spec: Extract<ServiceSpec, { kind: 'docker' }>): Promise<ContainerFacts> {
  const [c] = JSON.parse(await docker(['inspect', '--type', 'container', spec.container], `docker inspect ${spec.container}`)) as any[];
  const mounts: ContainerMount[] = (c.Mounts ?? []).filter((x: any) => x.Type === 'bind').map((x: any) => ({ host: x.Source, inside: x.Destination, readOnly: x.RW === false }));
  const ports = Object.entries((c.HostConfig?.PortBindings ?? {}) as Record<string, { HostIp: string; HostPort: string }[] | null>)
    .filter(([k, v]) => k.endsWith('/tcp') && v?.length)
    .map(([k, v]) => ({ containerPort: Number(k.split('/')[0]), hostIp: v![0]!.HostIp || '127.0.0.1', hostPort: Number(v![0]!.HostPort) }));
  const hostNetwork = c.HostConfig?.NetworkMode === 'host';
  const networks = hostNetwork ? [] : await Promise.all(Object.keys(c.NetworkSettings?.Networks ?? {}).map(networkInfo));
  return {
    spec, image: c.Config?.Image, user: c.Config?.User || undefined, env: envObject(c.Config?.Env), mounts, ports, networks, hostNetwork,
    hostGateway: (c.HostConfig?.ExtraHosts ?? []).some((e: string) => /host-gateway/.test(e)),
  };
}

export function containerFacts(spec: ServiceSpec): Promise<ContainerFacts> | undefined {
  if (spec.kind === 'compose') return resolveCompose(spec);
  if (spec.kind === 'docker') return inspectContainer(spec);
  return undefined;
}

/** Where Synapse's tools run: in the service's container (a throwaway one while it is stopped), or in the named container. */
export function containerExecTarget(f: ContainerFacts): ExecTarget {
  return f.spec.kind === 'compose' ? { kind: 'compose', file: resolve(f.spec.file), service: f.spec.service } : { kind: 'docker', container: f.spec.container };
}

/** The URL the host reaches the client listener on: the port published for the listener's port inside the container. */
export function publishedBaseUrl(f: ContainerFacts, listenerPort: number): string | undefined {
  if (f.hostNetwork) return `http://127.0.0.1:${listenerPort}`;
  const p = f.ports.find((x) => x.containerPort === listenerPort);
  if (!p) return undefined;
  const host = p.hostIp === '0.0.0.0' || p.hostIp === '::' ? '127.0.0.1' : p.hostIp;
  return `http://${host.includes(':') ? `[${host}]` : host}:${p.hostPort}`;
}

/** The address of this host on the container's first bridge network: what Synapse inside uses to reach PostgreSQL on the host. */
export function hostAddressFromContainer(f: ContainerFacts): string | undefined {
  if (f.hostNetwork) return '127.0.0.1';
  return f.networks.find((n) => n.gateway)?.gateway;
}

/** The networks Synapse's connections come from, for pg_hba.conf. */
export function containerNetworks(f: ContainerFacts): string[] {
  return f.networks.flatMap((n) => (n.subnet ? [n.subnet] : []));
}
