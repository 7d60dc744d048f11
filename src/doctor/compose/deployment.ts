// A Synapse run by Docker compose, as its compose file describes it: the service, its image, the user it runs as, and its bind mounts
// (which are the host-to-container path map). Named by --service compose:FILE[:SERVICE], or found beside the config.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { createExecutor, type Executor, type PathMapEntry } from '../../adapters/exec.js';
import type { DoctorContext } from '../context.js';

export interface ComposeMount extends PathMapEntry {
  readOnly: boolean;
}

export interface ComposeDeployment {
  file: string;
  text: string;
  service: string;
  image?: string;
  /** Who Synapse runs as inside the container, and why the doctor thinks so. */
  uid?: number;
  gid?: number;
  userSource: string;
  env: Record<string, string>;
  mounts: ComposeMount[];
  /** The doctor's executor with the compose mounts added to its path map. */
  exec: Executor;
}

/** The names `docker compose` looks for, in its order. */
export const COMPOSE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];
/** Images whose start.py drops to 991:991 (or UID/GID from the environment) when started as root. */
const OFFICIAL_IMAGE = /^(docker\.io\/)?(matrixdotorg\/synapse|ghcr\.io\/element-hq\/synapse)(:|@|$)/;

const cache = new WeakMap<DoctorContext, ComposeDeployment | null>();

function envOf(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = String(item);
      const i = s.indexOf('=');
      if (i > 0) out[s.slice(0, i)] = s.slice(i + 1);
    }
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = String(x);
  }
  return out;
}

function mountsOf(v: unknown, base: string): ComposeMount[] {
  if (!Array.isArray(v)) return [];
  const out: ComposeMount[] = [];
  for (const m of v) {
    let source: string | undefined;
    let target: string | undefined;
    let readOnly = false;
    if (typeof m === 'string') {
      const parts = m.split(':');
      if (parts.length < 2) continue;
      [source, target] = parts;
      readOnly = (parts[2] ?? '').split(',').includes('ro');
    } else if (m && typeof m === 'object' && (m as Record<string, unknown>).type === 'bind') {
      const o = m as Record<string, unknown>;
      source = typeof o.source === 'string' ? o.source : undefined;
      target = typeof o.target === 'string' ? o.target : undefined;
      readOnly = o.read_only === true;
    }
    // named volumes (no path) live in Docker's own storage: no host path to map
    if (!source || !target || !(source.startsWith('.') || source.startsWith('/'))) continue;
    out.push({ host: trim(isAbsolute(source) ? source : resolve(base, source)), inside: trim(target), readOnly });
  }
  return out;
}

const trim = (p: string) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p);
const num = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined);

/** Parses a compose file's service; undefined when the file or service is not there. Never throws for bad YAML (undefined). */
export function parseCompose(file: string, text: string, wanted?: string, configHost?: string): Omit<ComposeDeployment, 'exec'> | undefined {
  const doc = parseDocument(text);
  if (doc.errors.length) return undefined;
  const services = (doc.toJS() as { services?: Record<string, Record<string, unknown>> } | null)?.services;
  if (!services || typeof services !== 'object') return undefined;
  const base = dirname(file);
  const covers = (name: string) => !!configHost && mountsOf(services[name]?.volumes, base).some((m) => configHost === m.host || configHost.startsWith(m.host + '/'));
  const names = Object.keys(services);
  // a file found beside the config counts only with a service that mounts that config: else its paths would be guesses
  const service = wanted ?? (configHost ? names.find(covers) : names.find((n) => OFFICIAL_IMAGE.test(String(services[n]?.image ?? ''))) ?? names.find((n) => n === 'synapse'));
  const s = service ? services[service] : undefined;
  if (!service || !s) return undefined;
  const image = typeof s.image === 'string' ? s.image : undefined;
  const env = envOf(s.environment);
  const mounts = mountsOf(s.volumes, base);
  const user = s.user === undefined || s.user === null ? undefined : String(s.user);
  let uid: number | undefined;
  let gid: number | undefined;
  let userSource: string;
  if (user !== undefined) {
    const [u, g] = user.split(':');
    uid = num(u);
    gid = num(g) ?? uid;
    userSource = `user: "${user}" in ${file}`;
  } else if (env.UID !== undefined) {
    uid = num(env.UID);
    gid = num(env.GID ?? '991');
    userSource = `UID=${env.UID}${env.GID !== undefined ? ` GID=${env.GID}` : ' (GID 991 by default)'} in the environment of ${service}`;
  } else if (image && OFFICIAL_IMAGE.test(image)) {
    uid = 991;
    gid = 991;
    userSource = `the image ${image}, whose start.py drops to 991:991`;
  } else userSource = `the image ${image ?? '(none)'}, whose user the doctor cannot know`;
  return { file, text, service, image, uid, gid, userSource, env, mounts };
}

function candidates(ctx: DoctorContext): { file: string; service?: string; model?: string }[] {
  const s = ctx.opts.cutover.service;
  // the model as `docker compose config` resolved it (.env, ${VAR}, profiles, long-form mounts), when the engine was asked
  if (s?.kind === 'compose') return [{ file: resolve(s.file), service: s.service, model: ctx.opts.cutover.container?.model }];
  const main = ctx.config?.files[0]?.path;
  if (!main) return [];
  const out: { file: string }[] = [];
  // beside the config, or up to two directories above it (./synapse/data/homeserver.yaml next to ./docker-compose.yml)
  for (let d = dirname(resolve(main)), i = 0; i < 3; d = dirname(d), i++) for (const n of COMPOSE_NAMES) out.push({ file: join(d, n) });
  return out;
}

/** The compose deployment of this homeserver, or null when there is none. Read once per doctor run. */
export function composeDeployment(ctx: DoctorContext): ComposeDeployment | null {
  if (cache.has(ctx)) return cache.get(ctx)!;
  let found: ComposeDeployment | null = null;
  const configHost = ctx.config?.files[0]?.path ? resolve(ctx.config.files[0].path) : undefined;
  for (const c of candidates(ctx)) {
    if (!existsSync(c.file)) continue;
    const parsed = parseCompose(c.file, c.model ?? readFileSync(c.file, 'utf8'), c.service, c.service ? undefined : configHost);
    if (!parsed) continue;
    // --synapse-exec's target stays (docker:CONTAINER, or chroot:DIR in tests) with the compose mounts as its path map;
    // without it, "inside the container" is `docker compose exec` into the service
    const exec = ctx.exec.target.kind === 'local' ? composeExec(parsed.file, parsed.service, parsed.mounts) : createExecutor(ctx.exec.target, parsed.mounts.map(({ host, inside }) => ({ host, inside })));
    found = { ...parsed, exec };
    break;
  }
  cache.set(ctx, found);
  return found;
}

/** `docker compose -f FILE exec -T [-u USER] SERVICE ...` on the running service's container, whatever its generated name, or
 * `docker compose run --rm --no-deps` with the same image, mounts and networks while it is stopped (or fails to start). */
export function composeExec(file: string, service: string, mounts: PathMapEntry[], user?: string): Executor {
  return createExecutor({ kind: 'compose', file, service, user }, mounts.map(({ host, inside }) => ({ host, inside })));
}

/** The executor, running as Synapse's user in the container (chroot --userspec, docker exec -u, docker compose exec -u). */
export function asSynapseUser(d: ComposeDeployment): Executor {
  const t = d.exec.target;
  const user = `${d.uid}:${d.gid}`;
  const map = d.mounts.map(({ host, inside }) => ({ host, inside }));
  if (t.kind === 'compose') return composeExec(t.file, t.service, map, user);
  if (t.kind === 'chroot' || t.kind === 'docker') return createExecutor({ ...t, user }, map);
  const base = createExecutor(t, map);
  const prefix = ['setpriv', `--reuid=${d.uid}`, `--regid=${d.gid}`, '--clear-groups', '--'];
  return { ...base, wrap: (argv) => base.wrap([...prefix, ...argv]), run: (argv, o) => base.run([...prefix, ...argv], o) };
}

/** A path inside the container as the host sees it: through the compose mounts (longest first), else the doctor's own map. */
export function hostPath(ctx: DoctorContext, d: ComposeDeployment | null, inside: string): string | undefined {
  for (const m of [...(d?.mounts ?? [])].sort((a, b) => b.inside.length - a.inside.length)) {
    if (inside === m.inside) return m.host;
    if (inside.startsWith(m.inside + '/')) return m.host + inside.slice(m.inside.length);
  }
  if (d && ctx.exec.target.kind === 'local') return undefined;
  return ctx.exec.target.kind === 'local' ? inside : ctx.exec.toHost(inside);
}
