// FAILURES 24: the port fills a disk: PostgreSQL needs 25-100% more than the SQLite file, and the snapshot needs a copy's worth.
import { promises as fs, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DoctorContext } from './context.js';
import type { Diagnosis } from './types.js';
import { ERROR_TEXTS } from '../synapse/known-errors.js';

const mb = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;

async function free(path: string): Promise<number> {
  const s = await fs.statfs(path);
  return s.bavail * s.bsize;
}

async function needs(ctx: DoctorContext): Promise<string[]> {
  if (ctx.onPostgres || !ctx.sqlitePath || !existsSync(ctx.sqlitePath)) return [];
  const size = (await fs.stat(ctx.sqlitePath)).size;
  const out: string[] = [];
  const here = await free(dirname(ctx.sqlitePath));
  if (here < size) out.push(`the snapshot of ${ctx.sqlitePath} (${mb(size)}) needs ${mb(size)} in ${dirname(ctx.sqlitePath)}, which has ${mb(here)} free`);
  const data = ctx.setup.server?.dataDirectory;
  if (data && existsSync(data)) {
    const pg = await free(data);
    if (pg < 2 * size) out.push(`PostgreSQL's data directory ${data} has ${mb(pg)} free; the ported database can take up to twice the SQLite size (${mb(2 * size)})`);
  }
  return out;
}

export const diskSpace: Diagnosis = {
  id: 'disk-space',
  rank: 75,
  title: 'Not enough free disk space for the port',
  patterns: ERROR_TEXTS.diskFull,
  canCheck: (ctx) => !ctx.onPostgres && !!ctx.sqlitePath && existsSync(ctx.sqlitePath) && !ctx.adminError,
  async diagnose(ctx) {
    const lack = await needs(ctx);
    if (!lack.length) return undefined;
    return {
      id: this.id,
      title: this.title,
      evidence: lack.join('; ') + '.',
      cause: 'PostgreSQL stores Synapse\'s data in 25-100% more space than SQLite (1.6 GB became 3.1 GB in matrix-org/synapse#6545), and the port works on a snapshot copy.',
      fix: 'free space (or add a disk) where the snapshot and PostgreSQL\'s data directory live before porting',
      needsSynapseStopped: false,
      plan: [],
    };
  },
  fromText: () => ({ cause: 'A disk filled up during the port.', fix: "free space for the snapshot and in PostgreSQL's data directory (1-2x the SQLite size), then run the port again" }),
};
