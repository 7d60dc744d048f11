// A consistent copy of the live SQLite file taken with SQLite's online backup API: WAL-safe, Synapse keeps running, rowids kept.
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { openReadOnly } from '../adapters/sqlite.js';
import { WizardError } from '../core/errors.js';

export interface SnapshotResult {
  path: string;
  bytes: number;
  ms: number;
}

/**
 * Copies `live` into `dest` (through dest.partial, renamed when complete), owned like the live file so that Synapse's
 * tools, which write schema bookkeeping into the file they port, may write it even when they run as Synapse's user.
 */
export async function takeSnapshot(live: string, dest: string, progress: (done: number, total: number) => void, signal?: AbortSignal): Promise<SnapshotResult> {
  const t0 = Date.now();
  const st = await fs.stat(live);
  await fs.mkdir(dirname(dest), { recursive: true, mode: 0o750 });
  await fs.chown(dirname(dest), st.uid, st.gid).catch(() => undefined);
  const partial = `${dest}.partial`;
  await fs.rm(partial, { force: true });
  const db = openReadOnly(live);
  try {
    // SQLite restarts a backup when another process writes between two steps; after two restarts, copy the rest in one step.
    let last = Infinity;
    let restarts = 0;
    await db.backup(partial, {
      progress({ totalPages, remainingPages }) {
        if (signal?.aborted) throw new WizardError('CANCELLED', 'Stopped during the snapshot.');
        if (remainingPages > last) restarts++;
        last = remainingPages;
        progress(totalPages - remainingPages, totalPages);
        return restarts >= 2 ? 0x7fffffff : Math.max(4096, Math.ceil(totalPages / 50));
      },
    });
    const pages = Math.ceil(st.size / 4096);
    progress(pages, pages);
  } catch (e) {
    await fs.rm(partial, { force: true });
    if (e instanceof WizardError) throw e;
    throw new WizardError('SQLITE', `The snapshot of ${live} failed: ${(e as Error).message}`, { cause: e, hint: `Check free space in ${dirname(dest)}, then run cutover again.` });
  } finally {
    db.close();
  }
  await fs.chmod(partial, st.mode & 0o777);
  await fs.chown(partial, st.uid, st.gid).catch(() => undefined);
  await fs.rename(partial, dest);
  const bytes = (await fs.stat(dest)).size;
  return { path: dest, bytes, ms: Date.now() - t0 };
}

/** True when the file opens and passes quick_check (a snapshot cut short by a kill does not). */
export function snapshotUsable(path: string): boolean {
  try {
    const db = openReadOnly(path);
    try {
      return db.pragma('quick_check', { simple: true }) === 'ok';
    } finally {
      db.close();
    }
  } catch {
    return false;
  }
}
