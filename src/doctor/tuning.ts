// Memory settings for a Synapse workload, from the host's memory; ALTER SYSTEM, reload, and a restart for 'postmaster' settings.
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { quoteLiteral } from '../pg/identifiers.js';
import { requireDoctorAdmin, type DoctorContext } from './context.js';
import { restartArgv, restartPostgres } from './pg-restart.js';
import type { Diagnosis } from './types.js';
import { isLocalHost } from '../pg/host.js';

const MB = 1024 * 1024;
const GB = 1024 * MB;
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** The host's memory, or the container's limit when cgroup v2 sets a lower one. */
export function hostMemory(): number {
  try {
    const limit = readFileSync('/sys/fs/cgroup/memory.max', 'utf8').trim();
    if (/^\d+$/.test(limit)) return Math.min(totalmem(), Number(limit));
  } catch {
    /* no cgroup v2 limit */
  }
  return totalmem();
}

export const TUNED = ['shared_buffers', 'effective_cache_size', 'work_mem', 'maintenance_work_mem', 'autovacuum_work_mem'] as const;
export type Tuned = (typeof TUNED)[number];

/** Values in MB for a host that runs Synapse and PostgreSQL side by side (PostgreSQL gets about half the memory). */
export function recommend(memBytes: number, maxConnections: number): Record<Tuned, number> {
  const mb = (b: number) => Math.floor(b / MB);
  return {
    shared_buffers: mb(clamp(memBytes / 4, 128 * MB, 8 * GB)),
    effective_cache_size: mb(clamp(memBytes / 2, 256 * MB, 64 * GB)),
    work_mem: mb(clamp(memBytes / (4 * maxConnections), 4 * MB, 64 * MB)),
    maintenance_work_mem: mb(clamp(memBytes / 16, 64 * MB, 1 * GB)),
    autovacuum_work_mem: mb(clamp(memBytes / 32, 64 * MB, 512 * MB)),
  };
}

interface Setting {
  name: string;
  setting: string;
  unit: string | null;
  context: string;
  pending_restart: boolean;
}

const UNIT: Record<string, number> = { '8kB': 8192, kB: 1024, MB: MB, B: 1 };

export async function currentSettings(ctx: DoctorContext): Promise<{ values: Record<Tuned, number>; context: Record<string, string>; pending: string[]; maxConnections: number }> {
  const rows = await requireDoctorAdmin(ctx).query<Setting>(`SELECT name, setting, unit, context, pending_restart FROM pg_settings WHERE name IN (${[...TUNED, 'max_connections'].map(quoteLiteral).join(', ')})`);
  const by = Object.fromEntries(rows.map((r) => [r.name, r]));
  const mbOf = (n: string) => (Number(by[n]!.setting) * (UNIT[by[n]!.unit ?? 'B'] ?? 1)) / MB;
  const values = Object.fromEntries(TUNED.map((n) => [n, mbOf(n)])) as Record<Tuned, number>;
  if (values.autovacuum_work_mem < 0) values.autovacuum_work_mem = values.maintenance_work_mem; // -1: uses maintenance_work_mem
  return { values, context: Object.fromEntries(rows.map((r) => [r.name, r.context])), pending: rows.filter((r) => r.pending_restart).map((r) => r.name), maxConnections: Number(by.max_connections!.setting) };
}

/** The memory read here is the server's only when PostgreSQL runs on this machine (local psql, a container here, a loopback URL). */
function serverIsHere(ctx: DoctorContext): boolean {
  const spec = ctx.setup.opts.pgAdmin;
  if (spec.kind !== 'url') return true;
  return isLocalHost(new URL(spec.url).hostname);
}

export const tuning: Diagnosis = {
  id: 'tuning',
  rank: 90,
  title: "PostgreSQL's memory settings do not fit this host",
  patterns: [],
  async diagnose(ctx) {
    if (!ctx.onPostgres || !serverIsHere(ctx)) return undefined;
    const mem = hostMemory();
    const cur = await currentSettings(ctx);
    const rec = recommend(mem, cur.maxConnections);
    // Within a factor of two of the recommendation is fine: these are rules of thumb, not exact values.
    const off = TUNED.filter((n) => cur.values[n] < rec[n] / 2 || cur.values[n] > rec[n] * 2);
    if (!off.length && !cur.pending.length) return undefined;
    const restart = off.filter((n) => cur.context[n] === 'postmaster');
    const alters = off.map((n) => `ALTER SYSTEM SET ${n} = '${rec[n]}MB'`);
    const restartCmd = restartArgv(ctx);
    return {
      id: this.id,
      title: this.title,
      evidence: `Host memory ${(mem / GB).toFixed(1)} GiB, max_connections ${cur.maxConnections}. ${off.map((n) => `${n} is ${Math.round(cur.values[n])}MB, recommended ${rec[n]}MB`).join('; ')}${cur.pending.length ? `; waiting for a restart: ${cur.pending.join(', ')}` : ''}.`,
      cause: 'Distribution defaults (shared_buffers 128MB, work_mem 4MB) are sized for tiny machines; Synapse\'s large tables and state queries need the memory the host has.',
      fix: `${alters.join('; ')}; reload${restart.length || cur.pending.length ? `; restart PostgreSQL for ${[...new Set([...restart, ...cur.pending])].join(', ')} (pg_settings.context = postmaster)` : ''}`,
      severity: 'advice',
      needsSynapseStopped: false,
      plan: [
        ...alters.map((sql, i) => ({ kind: 'sql' as const, sql, note: `context ${cur.context[off[i]!]}: ${cur.context[off[i]!] === 'postmaster' ? 'needs a restart' : 'a reload is enough'}` })),
        { kind: 'sql', sql: 'SELECT pg_reload_conf()' },
        ...(restart.length || cur.pending.length ? [restartCmd ? { kind: 'command' as const, argv: restartCmd } : { kind: 'note' as const, text: 'restart PostgreSQL yourself' }] : []),
      ],
      apply: async () => {
        const admin = requireDoctorAdmin(ctx);
        for (const sql of alters) await admin.exec(sql);
        await admin.exec('SELECT pg_reload_conf()');
        // the postmaster reloads asynchronously: pending_restart shows up once it has
        await new Promise((r) => setTimeout(r, 500));
        const after = await currentSettings(ctx);
        const parts = [`Set ${off.join(', ')} and reloaded.`];
        if (after.pending.length) parts.push(await restartPostgres(ctx));
        return parts.join(' ');
      },
      verify: async () => {
        const after = await currentSettings(ctx);
        return `pg_settings now shows ${off.map((n) => `${n} ${Math.round(after.values[n])}MB`).join(', ')}, nothing pending a restart.`;
      },
    };
  },
};
