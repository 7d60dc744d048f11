// The copy engine: the rows synapse_port_db would copy, loaded with COPY instead of batched INSERTs. Append-only tables resume
// from port_from_sqlite3 as the script does; every other table is replaced (TRUNCATE + COPY, one transaction per group of tables
// that TRUNCATE ... CASCADE ties together) only when its content differs from what PostgreSQL was last loaded with.
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { openReadOnly } from '../../adapters/sqlite.js';
import { WizardError } from '../../core/errors.js';
import { quoteIdent } from '../../pg/identifiers.js';
import { compareWith, drain } from './compare.js';
import type { PortRules } from './driver.js';
import { groupUnits, runWaves, type Unit } from './schedule.js';
import { countSweep, newSweepResult, sweepTable, type Sweep } from './source.js';
import { copyEventSearch, setupSentTransactions } from './special.js';
import { connect, connectError, inTransaction, pgColumnList, planFor, readPgMeta, readPortRows, sweepFor } from './target.js';

export interface CopyEngineOptions {
  /** Host path of the SQLite snapshot to read (the driver has prepared it, as the script prepares the file it ports). */
  sqlite: string;
  pg: pg.ClientConfig;
  rules: PortRules;
  /** The tables the script would port, from the driver. */
  tables: string[];
  /** Digest of what PostgreSQL holds for each non-append-only table (from earlier runs); updated in place as tables are replaced. */
  digests: Record<string, string>;
  /** Called after each committed group, so the caller can persist `digests`. */
  onCommitted?: () => Promise<void>;
  /** Tables copied at once. */
  concurrency?: number;
  /** Rows per COPY chunk, and so per progress report (default 2000). */
  chunkRows?: number;
  /** Time of the run (ms since epoch): sent_transactions keeps what is newer than a day before it, as the script does. */
  now?: number;
  signal?: AbortSignal;
  onProgress?: (label: string, done: number, total: number, detail: string) => void;
  log?: (message: string, level?: 'info' | 'warn') => void;
}

export interface TableResult {
  rows: number;
  copied: number;
  ms: number;
  action: 'appended' | 'replaced' | 'unchanged' | 'ignored';
}

export interface CopyEngineResult {
  ms: number;
  rowsCopied: number;
  tables: Record<string, TableResult>;
  dropped: Record<string, number>;
  /** Rows per second over the copying. */
  rate: number;
  hashMs: number;
}

export async function runCopyEngine(o: CopyEngineOptions): Promise<CopyEngineResult> {
  const t0 = Date.now();
  const log = o.log ?? (() => undefined);
  const appendOnly = new Set(o.rules.appendOnly);
  const ignored = new Set(o.rules.ignored);
  const db = openReadOnly(o.sqlite);
  const probe = openReadOnly(o.sqlite);
  const result: CopyEngineResult = { ms: 0, rowsCopied: 0, tables: {}, dropped: {}, rate: 0, hashMs: 0 };
  const clients: pg.Client[] = [];
  try {
    for (let i = 0; i < Math.max(1, o.concurrency ?? 2); i++) clients.push(await connect(o.pg));
    const meta = await readPgMeta(clients[0]!);
    const work = o.tables.filter((t) => !ignored.has(t));
    // Tables the script empties and never fills (IGNORED_TABLES): emptied once, like its setup_table does on every run.
    const toEmpty = o.tables.filter((t) => ignored.has(t) && !appendOnly.has(t) && o.digests[t] !== 'ignored');
    if (toEmpty.length) {
      await inTransaction(clients[0]!, async (c) => {
        await c.query(`DELETE FROM port_from_sqlite3 WHERE table_name = ANY($1)`, [toEmpty]);
        await c.query(`TRUNCATE ${toEmpty.map(quoteIdent).join(', ')} CASCADE`);
        for (const t of toEmpty) await c.query(`INSERT INTO port_from_sqlite3 (table_name, forward_rowid, backward_rowid) VALUES ($1, 1, 0)`, [t]);
      });
      for (const t of toEmpty) {
        o.digests[t] = 'ignored';
        result.tables[t] = { rows: 0, copied: 0, ms: 0, action: 'ignored' };
      }
      await o.onCommitted?.();
    }

    // Which non-append-only tables differ from what PostgreSQL holds: hash the ones with a recorded digest.
    const cmp = await compareWith(db, probe, work.filter((t) => !appendOnly.has(t)), o.digests, meta, o.rules, o.signal, o.onProgress);
    const changed = new Set(cmp.changed);
    for (const [t, rows] of Object.entries(cmp.unchanged)) result.tables[t] = { rows, copied: 0, ms: 0, action: 'unchanged' };
    result.hashMs = cmp.ms;
    // TRUNCATE ... CASCADE also empties the tables that reference a replaced one: they are replaced with it.
    const closure = new Set(changed);
    for (let grew = true; grew; ) {
      grew = false;
      for (const [child, parents] of meta.references) {
        if (closure.has(child) || !work.includes(child)) continue;
        if ([...parents].some((p) => closure.has(p))) {
          closure.add(child);
          grew = true;
        }
      }
    }
    const units = groupUnits(work, closure, appendOnly, meta.references);
    const totals = new Map<string, number>();
    const ports = await readPortRows(clients[0]!);
    let totalRows = 0;
    for (const u of units) {
      for (const t of u.tables) {
        const n = u.kind === 'replace' ? countSweep(db, t, { forward: 1, backward: 0 }) : countSweep(db, t, sweepFor(t, ports), '');
        totals.set(t, n);
        totalRows += n;
      }
    }
    const start = Date.now();
    let doneRows = 0;
    const overall = () => o.onProgress?.('all tables', doneRows, totalRows, rateDetail(doneRows, totalRows, start));
    const weight = (u: Unit) => u.tables.reduce((a, t) => a + (totals.get(t) ?? 0), 0);
    await runWaves(units, meta.references, clients.length, weight, async (u, worker) => {
      if (o.signal?.aborted) throw new WizardError('CANCELLED', 'Stopped while copying; running cutover again resumes (a table half copied is copied again from its start).');
      await inTransaction(clients[worker]!, async (c) => {
        if (u.kind === 'replace') {
          await c.query(`DELETE FROM port_from_sqlite3 WHERE table_name = ANY($1)`, [u.tables]);
          await c.query(`TRUNCATE ${u.tables.map(quoteIdent).join(', ')} CASCADE`);
        }
        for (const t of u.tables) {
          const tt0 = Date.now();
          const full = u.kind === 'replace';
          const portRow = full ? undefined : ports.get(t);
          let sweep: Sweep = full ? { forward: 1, backward: 0 } : sweepFor(t, ports);
          if (!full && !portRow && t === 'sent_transactions') {
            const sent = await setupSentTransactions(c, db, t, planFor(db, t, meta, o.rules), o.now ?? Date.now());
            sweep = sent.sweep;
            result.rowsCopied += sent.rows;
          }
          if (full || !portRow) await c.query(`INSERT INTO port_from_sqlite3 (table_name, forward_rowid, backward_rowid) VALUES ($1, $2, $3) ON CONFLICT (table_name) DO NOTHING`, [t, sweep.forward, sweep.backward ?? 0]);
          const total = totals.get(t) ?? 0;
          let tableDone = 0;
          const onRows = (n: number) => {
            tableDone += n;
            doneRows += n;
            o.onProgress?.(t, tableDone, total, rateDetail(tableDone, total, tt0));
            overall();
          };
          const r = newSweepResult();
          if (t === 'user_directory_stream_pos') {
            // The script keeps a single row with a NULL stream_id, which is what Synapse expects there.
            if (countSweep(db, t, { forward: 1, backward: 0 }) > 0) await c.query(`INSERT INTO user_directory_stream_pos (stream_id) VALUES (NULL)`);
            drain(sweepTable({ db, probe, table: t, plan: planFor(db, t, meta, o.rules), sweep }, r));
          } else if (t === 'event_search') {
            await copyEventSearch(c, db, probe, sweep, r, onRows, o.chunkRows);
          } else {
            const plan = planFor(db, t, meta, o.rules);
            const gen = sweepTable({ db, probe, table: t, plan, sweep, onRows, chunkRows: o.chunkRows }, r);
            const cols = pgColumnList(plan);
            await pipeline(Readable.from(gen, { objectMode: false }), c.query(copyFrom(`COPY ${quoteIdent(t)} (${cols}) FROM STDIN`)));
          }
          if ((r.rows > 0 || r.dropped > 0 || full) && t !== 'user_directory_stream_pos') {
            await c.query(`UPDATE port_from_sqlite3 SET forward_rowid = $2, backward_rowid = $3 WHERE table_name = $1`, [t, r.nextForward, t === 'event_search' ? (sweep.backward ?? 0) : r.nextBackward]);
          }
          if (r.dropped) {
            result.dropped[t] = (result.dropped[t] ?? 0) + r.dropped;
            log(`${t}: dropped ${r.dropped} row(s) with a NUL character in ${[...r.droppedColumns].join(', ')} (PostgreSQL cannot store it; synapse_port_db drops the same rows).`, 'warn');
          }
          if (full) o.digests[t] = r.digest;
          result.rowsCopied += r.rows;
          result.tables[t] = { rows: r.rows, copied: r.rows, ms: Date.now() - tt0, action: full ? 'replaced' : 'appended' };
        }
      }).catch((e) => {
        // A group that did not commit holds what it held before; its digests must not claim otherwise.
        if (u.kind === 'replace') for (const t of u.tables) delete o.digests[t];
        throw e instanceof WizardError ? e : connectError(e);
      });
      if (u.kind === 'replace') await o.onCommitted?.();
    });
    overall();
    result.ms = Date.now() - t0;
    const copyS = (Date.now() - start) / 1000;
    result.rate = copyS > 0 ? result.rowsCopied / copyS : 0;
    return result;
  } finally {
    db.close();
    probe.close();
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }
}

/** "12345 rows/s, 8 s left": the detail of a progress event, from when the counting started. */
function rateDetail(done: number, total: number, since: number): string {
  const s = (Date.now() - since) / 1000;
  const rate = s > 0 ? done / s : 0;
  return `${Math.round(rate)} rows/s${rate > 0 ? `, ${Math.ceil(Math.max(0, total - done) / rate)} s left` : ''}`;
}
