// Which tables differ from what PostgreSQL was last loaded with: a digest of each table's rows as the copy would load them.
import type Database from 'better-sqlite3';
import { openReadOnly } from '../../adapters/sqlite.js';
import { WizardError } from '../../core/errors.js';
import type { CopyEngineOptions } from './engine.js';
import type { PortRules } from './driver.js';
import { countSweep, newSweepResult, sweepTable } from './source.js';
import { connect, planFor, readPgMeta, readPortRows, sweepFor, type PgMeta } from './target.js';

export interface Comparison {
  /** Tables whose rows differ from the recorded digest, or that have none. */
  changed: string[];
  /** Rows of each changed table now. */
  changedRows: Record<string, number>;
  unchanged: Record<string, number>;
  ms: number;
}

export async function compareWith(db: Database.Database, probe: Database.Database, tables: string[], digests: Record<string, string>, meta: PgMeta, rules: PortRules, signal?: AbortSignal, onProgress?: CopyEngineOptions['onProgress']): Promise<Comparison> {
  const t0 = Date.now();
  const out: Comparison = { changed: [], changedRows: {}, unchanged: {}, ms: 0 };
  for (const [i, t] of tables.entries()) {
    // Between tables: let progress, signals and other work through.
    await new Promise((r) => setImmediate(r));
    onProgress?.('comparing tables', i, tables.length, `${t}: is it what PostgreSQL holds?`);
    if (signal?.aborted) throw new WizardError('CANCELLED', 'Stopped while comparing tables; running cutover again resumes.');
    const known = digests[t];
    if (known === undefined) {
      out.changed.push(t);
      out.changedRows[t] = countSweep(db, t, { forward: 1, backward: 0 });
      continue;
    }
    const r = newSweepResult();
    drain(sweepTable({ db, probe, table: t, plan: planFor(db, t, meta, rules), sweep: { forward: 1, backward: 0 } }, r));
    if (r.digest === known) out.unchanged[t] = r.rows;
    else {
      out.changed.push(t);
      out.changedRows[t] = r.rows + r.dropped;
    }
  }
  out.ms = Date.now() - t0;
  onProgress?.('comparing tables', tables.length, tables.length, `${out.changed.length} changed since the last copy`);
  return out;
}

/**
 * Read-only: which tables a copy from `sqlite` would replace now, and the rows it would append (for the downtime estimate
 * before Synapse is stopped; the live file may be read while Synapse runs).
 */
export async function compareTables(o: Pick<CopyEngineOptions, 'sqlite' | 'pg' | 'rules' | 'tables' | 'digests' | 'signal'>): Promise<Comparison & { appendRows: number }> {
  const c0 = await connect(o.pg);
  const [meta, ports] = await Promise.all([readPgMeta(c0), readPortRows(c0)]).finally(() => c0.end().catch(() => undefined));
  const db = openReadOnly(o.sqlite);
  const probe = openReadOnly(o.sqlite);
  try {
    const appendOnly = new Set(o.rules.appendOnly);
    const work = o.tables.filter((t) => !o.rules.ignored.includes(t));
    const c = await compareWith(db, probe, work.filter((t) => !appendOnly.has(t)), o.digests, meta, o.rules, o.signal);
    let appendRows = 0;
    for (const t of work) if (appendOnly.has(t)) appendRows += countSweep(db, t, sweepFor(t, ports));
    return { ...c, appendRows };
  } finally {
    db.close();
    probe.close();
  }
}

export function drain(gen: Generator<string>): void {
  for (let x = gen.next(); !x.done; x = gen.next());
}
