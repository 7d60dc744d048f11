// Docker compose: the mounted data directory, media store and config files must be readable and writable by the container's user
// (991:991 in the official image, or UID/GID, or `user:`), else Synapse fails with "Permission denied" at start or on the first upload.
import { promises as fs, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { formatArgv, runArgv } from '../../adapters/exec.js';
import { WizardError } from '../../core/errors.js';
import type { DoctorContext } from '../context.js';
import type { Diagnosis } from '../types.js';
import { asSynapseUser, composeDeployment, hostPath, type ComposeDeployment } from './deployment.js';

/** Enough to find a wrong owner in a big media store without walking millions of files. */
const MAX_ENTRIES = 200_000;

interface Target {
  path: string;
  what: string;
  recursive: boolean;
  /** On a `:ro` mount the container only reads: read (and search) is all it needs. */
  readOnly: boolean;
}

interface Denied {
  path: string;
  st: Stats;
}

function allows(st: Stats, uid: number, gid: number, need: number): boolean {
  if (uid === 0) return true;
  const bits = st.uid === uid ? (st.mode >> 6) & 7 : st.gid === gid ? (st.mode >> 3) & 7 : st.mode & 7;
  return (bits & need) === need;
}

const needOf = (st: Stats, readOnly: boolean) => (st.isDirectory() ? (readOnly ? 5 : 7) : readOnly ? 4 : 6);
const show = (st: Stats) => `owner ${st.uid}:${st.gid} mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}`;

export function targets(ctx: DoctorContext, d: ComposeDeployment): Target[] {
  const out: Target[] = [];
  const add = (path: string | undefined, what: string, recursive: boolean) => {
    if (!path || out.some((t) => t.path === path || (t.recursive && path.startsWith(t.path + '/')))) return;
    const mount = [...d.mounts].sort((a, b) => b.host.length - a.host.length).find((m) => path === m.host || path.startsWith(m.host + '/'));
    out.push({ path, what, recursive, readOnly: !!mount?.readOnly });
  };
  const merged = ctx.config?.merged ?? {};
  const dataDir = hostPath(ctx, d, d.env.SYNAPSE_DATA_DIR ?? '/data');
  if (dataDir && d.mounts.some((m) => m.host === dataDir || dataDir.startsWith(m.host + '/'))) add(dataDir, 'data directory', true);
  const main = ctx.config?.files[0]?.path;
  if (main) add(dirname(main), 'config directory', true);
  if (typeof merged.media_store_path === 'string') add(hostPath(ctx, d, merged.media_store_path), 'media store', true);
  for (const f of ctx.config?.files ?? []) add(f.path, 'config file', false);
  return out;
}

async function walk(path: string, recursive: boolean, check: (p: string, st: Stats) => void, budget: { left: number }): Promise<void> {
  const st = await fs.lstat(path).catch(() => undefined);
  if (!st || st.isSymbolicLink() || budget.left-- <= 0) return;
  check(path, st);
  if (!recursive || !st.isDirectory()) return;
  const names = await fs.readdir(path).catch(() => [] as string[]);
  for (const n of names) await walk(join(path, n), true, check, budget);
}

async function survey(ctx: DoctorContext, d: ComposeDeployment): Promise<{ t: Target; denied: Denied[]; top?: Stats }[]> {
  const out: { t: Target; denied: Denied[]; top?: Stats }[] = [];
  for (const t of targets(ctx, d)) {
    const denied: Denied[] = [];
    const budget = { left: MAX_ENTRIES };
    await walk(t.path, t.recursive, (p, st) => allows(st, d.uid!, d.gid!, needOf(st, t.readOnly)) || denied.push({ path: p, st }), budget);
    if (denied.length) out.push({ t, denied, top: await fs.lstat(t.path).catch(() => undefined) });
  }
  return out;
}

function commands(bad: { t: Target }[], owner: string): string[][] {
  return bad.flatMap(({ t }) => {
    const bits = t.readOnly ? 'u+rX' : t.recursive ? 'u+rwX' : 'u+rw';
    return t.recursive ? [['chown', '-R', owner, t.path], ['chmod', '-R', bits, t.path]] : [['chown', owner, t.path], ['chmod', bits, t.path]];
  });
}

export const composeOwnership: Diagnosis = {
  id: 'compose-data-ownership',
  rank: 14,
  title: "The container's user may not write Synapse's data or config",
  patterns: [/PermissionError: \[Errno 13\] Permission denied: '(\/data\/|[^']*media_store|[^']*\.signing\.key|[^']*homeserver\.yaml)/],
  canCheck: (ctx) => composeDeployment(ctx)?.uid !== undefined,
  async diagnose(ctx) {
    const d = composeDeployment(ctx);
    if (!d || d.uid === undefined || d.gid === undefined || d.uid === 0) return undefined;
    const bad = await survey(ctx, d);
    if (!bad.length) return undefined;
    const owner = `${d.uid}:${d.gid}`;
    const plan = commands(bad, owner);
    return {
      id: this.id,
      title: this.title,
      evidence: bad
        .map(({ t, denied, top }) => `${t.what} ${t.path}: found ${top ? show(top) : 'missing'}${denied.length > 1 || denied[0]!.path !== t.path ? `; ${denied.length}${denied.length >= MAX_ENTRIES ? '+' : ''} entr${denied.length > 1 ? 'ies' : 'y'} ${owner} may not write (first: ${denied[0]!.path}, ${show(denied[0]!.st)})` : ''}`)
        .join('; ') + `; needed: read${bad.every((b) => b.t.readOnly) ? '' : ' and write'} for ${owner} (${d.userSource})${bad.some((b) => b.t.readOnly) ? ', read only on the :ro mounts' : ''}.`,
      cause: `Synapse in the compose service "${d.service}" runs as ${owner}; the files it must read and write on the host's bind mounts belong to someone else, so it fails with "Permission denied" at start (signing key, log, SQLite) or when storing media.`,
      fix: `give ${owner} the files: ${plan.map(formatArgv).join('; ')}`,
      needsSynapseStopped: false,
      plan: plan.map((argv) => ({ kind: 'command' as const, argv })),
      apply: async (sc) => {
        for (const argv of plan) {
          sc.log(formatArgv(argv));
          const r = await runArgv(argv, { timeoutMs: 600_000, signal: sc.signal });
          if (r.exitCode !== 0) throw new WizardError('EXEC', `${formatArgv(argv)} failed: ${r.spawnError ?? r.stderr.trim()}`, { hint: 'Run the doctor as root (the owner of the bind-mounted files may only be changed by root).' });
        }
        return `Gave ${owner} ${bad.map((b) => b.t.path).join(', ')}.`;
      },
      verify: () => writeProbe(ctx, d),
    };
  },
  fromText: () => ({ cause: "Synapse's container user (991:991 in the official image) may not read or write a file on a bind mount.", fix: 'chown -R 991:991 (or your UID:GID) the mounted data directory, then start Synapse again' }),
};

/** Proof from inside: as the container's user, create and remove a file in each writable directory, open each config file for
 * writing (reading only, on a :ro mount). */
export async function writeProbe(ctx: DoctorContext, d: ComposeDeployment): Promise<string> {
  const exec = asSynapseUser(d);
  const ts = targets(ctx, d);
  // each path comes with what to prove: W directory writable, R directory readable, w file writable, r file readable
  const pairs = ts.flatMap((t) => [t.recursive ? (t.readOnly ? 'R' : 'W') : t.readOnly ? 'r' : 'w', exec.toInside(t.path)]);
  const script = [
    'while [ $# -gt 1 ]; do m=$1; p=$2; shift 2; case $m in',
    'W) f="$p/.synapse-pg-write-probe.$$"; if ! (cd "$p") 2>/dev/null; then echo "cannot enter $p (it or a directory above it is not searchable)"; elif (: > "$f") 2>/dev/null; then rm -f "$f"; else echo "cannot write in $p"; fi ;;',
    'R) (cd "$p" && ls >/dev/null) 2>/dev/null || echo "cannot read $p" ;;',
    'w) [ -r "$p" ] && (: >> "$p") 2>/dev/null || echo "cannot read and write $p" ;;',
    'r) [ -r "$p" ] || echo "cannot read $p" ;;',
    'esac; done',
  ].join('\n');
  const argv = ['sh', '-c', script, 'sh', ...pairs];
  const r = await exec.run(argv, { timeoutMs: 60_000 });
  if (r.exitCode !== 0 || r.stdout.trim()) throw new WizardError('UNVERIFIED', `the write probe as ${d.uid}:${d.gid} failed: ${r.spawnError ?? (r.stdout + r.stderr).trim()}`, { hint: `Run it yourself: ${formatArgv(exec.wrap(argv))}` });
  const list = (m: string) => ts.filter((_t, i) => pairs[2 * i] === m).map((t) => exec.toInside(t.path));
  const parts = [list('W').length ? `created a file in ${list('W').join(', ')}` : '', list('w').length ? `opened ${list('w').join(', ')} for writing` : '', [...list('R'), ...list('r')].length ? `read ${[...list('R'), ...list('r')].join(', ')} (read-only mounts)` : ''];
  return `A write probe as ${d.uid}:${d.gid} (${formatArgv(exec.wrap([]))}) ${parts.filter(Boolean).join(' and ')}.`;
}
