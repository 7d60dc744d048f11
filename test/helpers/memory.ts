// The memory settings the doctor should recommend, computed here on its own (not with src/doctor/tuning.ts) from
// /proc/meminfo and the cgroup v2 limit: PostgreSQL beside Synapse gets about half of the memory.
import { readFileSync } from 'node:fs';

const MB = 1024 * 1024;
const GB = 1024 * MB;

/** MemTotal from /proc/meminfo, or the cgroup v2 memory.max when it is lower (a container's limit). */
export function memoryOfThisHost(): number {
  const kb = Number(/^MemTotal:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]);
  let limit = Infinity;
  try {
    const v = readFileSync('/sys/fs/cgroup/memory.max', 'utf8').trim();
    if (/^\d+$/.test(v)) limit = Number(v);
  } catch {
    // no cgroup v2 limit here
  }
  return Math.min(kb * 1024, limit);
}

/** shared_buffers a quarter, effective_cache_size a half, work_mem a quarter shared by the connections, in MB. */
export function expectedTuning(maxConnections: number, mem = memoryOfThisHost()): Record<string, number> {
  const between = (v: number, lo: number, hi: number) => Math.floor(Math.min(hi, Math.max(lo, v)) / MB);
  return {
    shared_buffers: between(mem / 4, 128 * MB, 8 * GB),
    effective_cache_size: between(mem / 2, 256 * MB, 64 * GB),
    work_mem: between(mem / 4 / maxConnections, 4 * MB, 64 * MB),
    maintenance_work_mem: between(mem / 16, 64 * MB, GB),
    autovacuum_work_mem: between(mem / 32, 64 * MB, 512 * MB),
  };
}

/** postgresql.conf lines with those settings, so that a cluster counts as tuned for this host. */
export function tunedConf(maxConnections = 50): string {
  return Object.entries(expectedTuning(maxConnections)).map(([k, v]) => `${k} = '${v}MB'`).join('\n');
}
