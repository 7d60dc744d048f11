// The copy engine: the rows synapse_port_db would copy, loaded with COPY instead of batched INSERTs. Append-only tables resume
// from port_from_sqlite3 as the script does; every other table is replaced (TRUNCATE + COPY, one transaction per group of tables
// that TRUNCATE ... CASCADE ties together) only when its content differs from what PostgreSQL was last loaded with.
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type Database from 'better-sqlite3';
import { openReadOnly } from '../../adapters/sqlite.js';
import { WizardError } from '../../core/errors.js';
import { quoteIdent } from '../../pg/identifiers.js';
import { columnKind, rowToLine, type ColumnPlan } from './convert.js';
import type { PortRules } from './driver.js';
import { countSweep, newSweepResult, sqliteColumns, sweepTable, type Sweep, type SweepResult } from './source.js';

export interface CopyEngineOptions {
  /** Host path of the SQLite file to read (a snapshot, or the stopped live file). */
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
  action: 'appended' | 'replaced' | 'unchanged' | 'emptied' | 'ignored';
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

interface Unit {
  tables: string[];
  kind: 'append' | 'replace';
}

const EVENT_SEARCH_PLAN: ColumnPlan = {
  names: ['event_id', 'room_id', 'key', 'sender', 'value', 'origin_server_ts', 'stream_ordering'],
  kinds: ['text', 'text', 'text', 'text', 'text', 'int', 'int'],
};

function connectError(e: unknown): WizardError {
  return new WizardError('PG_QUERY', `The copy engine failed in PostgreSQL: ${(e as Error).message}`, { cause: e, hint: 'Run cutover again: finished tables are kept and the rest is copied again from its start. --engine port-db runs synapse_port_db instead.' });
}

export async function runCopyEngine(o: CopyEngineOptions): Promise<CopyEngineResult> {
  const t0 = Date.now();
  const log = o.log ?? (() => undefined);
  const appendOnly = new Set(o.rules.appendOnly);
  const ignored = new Set(o.rules.ignored);
  const meta = await readPgMeta(o.pg);
  const db = openReadOnly(o.sqlite);
  const probe = openReadOnly(o.sqlite);
  const result: CopyEngineResult = { ms: 0, rowsCopied: 0, tables: {}, dropped: {}, rate: 0, hashMs: 0 };
  const clients: pg.Client[] = [];
  try {
    for (let i = 0; i < Math.max(1, o.concurrency ?? 2); i++) clients.push(await connect(o.pg));
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
    const ports = await readPortRows(o.pg);
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
    const overall = () => {
      const s = (Date.now() - start) / 1000;
      const rate = s > 0 ? doneRows / s : 0;
      o.onProgress?.('all tables', doneRows, totalRows, `${Math.round(rate)} rows/s${rate > 0 ? `, ${Math.ceil((totalRows - doneRows) / rate)} s left` : ''}`);
    };
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
          if (!full && !portRow && t === 'sent_transactions') sweep = await setupSentTransactions(c, db, t, planFor(db, t, meta, o.rules), o.now ?? Date.now(), result);
          if (full || !portRow) await c.query(`INSERT INTO port_from_sqlite3 (table_name, forward_rowid, backward_rowid) VALUES ($1, $2, $3) ON CONFLICT (table_name) DO NOTHING`, [t, sweep.forward, sweep.backward ?? 0]);
          const total = totals.get(t) ?? 0;
          let tableDone = 0;
          const onRows = (n: number) => {
            tableDone += n;
            doneRows += n;
            const s = (Date.now() - tt0) / 1000;
            const rate = s > 0 ? tableDone / s : 0;
            o.onProgress?.(t, tableDone, total, `${Math.round(rate)} rows/s${rate > 0 ? `, ${Math.ceil(Math.max(0, total - tableDone) / rate)} s left` : ''}`);
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

export interface Comparison {
  /** Tables whose rows differ from the recorded digest, or that have none. */
  changed: string[];
  /** Rows of each changed table now. */
  changedRows: Record<string, number>;
  unchanged: Record<string, number>;
  ms: number;
}

async function compareWith(db: Database.Database, probe: Database.Database, tables: string[], digests: Record<string, string>, meta: PgMeta, rules: PortRules, signal?: AbortSignal, onProgress?: CopyEngineOptions['onProgress']): Promise<Comparison> {
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
  const meta = await readPgMeta(o.pg);
  const ports = await readPortRows(o.pg);
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

interface PgMeta {
  /** table -> column -> data_type */
  columns: Map<string, Map<string, string>>;
  /** table -> tables it references with a foreign key */
  references: Map<string, Set<string>>;
}

async function readPgMeta(cfg: pg.ClientConfig): Promise<PgMeta> {
  const c = new pg.Client(cfg);
  c.on('error', () => undefined);
  try {
    await c.connect();
    const cols = await c.query<{ t: string; c: string; d: string }>(`SELECT table_name AS t, column_name AS c, data_type AS d FROM information_schema.columns WHERE table_schema = current_schema()`);
    const columns = new Map<string, Map<string, string>>();
    for (const r of cols.rows) {
      if (!columns.has(r.t)) columns.set(r.t, new Map());
      columns.get(r.t)!.set(r.c, r.d);
    }
    // The same question the script asks (get_table_constraints).
    const fks = await c.query<{ t: string; f: string }>(
      `SELECT DISTINCT tc.table_name AS t, ccu.table_name AS f FROM information_schema.table_constraints AS tc
       JOIN information_schema.constraint_column_usage AS ccu USING (table_schema, constraint_name)
       WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_name != ccu.table_name`,
    );
    const references = new Map<string, Set<string>>();
    for (const r of fks.rows) {
      if (!references.has(r.t)) references.set(r.t, new Set());
      references.get(r.t)!.add(r.f);
    }
    return { columns, references };
  } catch (e) {
    throw connectError(e);
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function readPortRows(cfg: pg.ClientConfig): Promise<Map<string, { forward: number; backward: number }>> {
  const c = new pg.Client(cfg);
  c.on('error', () => undefined);
  try {
    await c.connect();
    const r = await c.query<{ t: string; f: string; b: string }>(`SELECT table_name AS t, forward_rowid::text AS f, backward_rowid::text AS b FROM port_from_sqlite3`);
    return new Map(r.rows.map((x) => [x.t, { forward: Number(x.f), backward: Number(x.b) }]));
  } catch (e) {
    throw connectError(e);
  } finally {
    await c.end().catch(() => undefined);
  }
}

function planFor(db: Database.Database, table: string, meta: PgMeta, rules: PortRules): ColumnPlan {
  const names = sqliteColumns(db, table);
  const pgCols = meta.columns.get(table);
  const bools = new Set(rules.booleanColumns[table] ?? []);
  return { names, kinds: names.map((n) => columnKind(pgCols?.get(n.toLowerCase()), bools.has(n))) };
}

function sweepFor(table: string, ports: Map<string, { forward: number; backward: number }>): Sweep {
  const p = ports.get(table);
  if (table === 'event_search') return { forward: p?.forward ?? 1 };
  return p ? { forward: p.forward, backward: p.backward } : { forward: 1, backward: 0 };
}

/**
 * sent_transactions on its first port: only the newest row of each destination that is older than a day, then every row of the
 * last day (Porter._setup_sent_transactions). Returns where the regular sweep starts.
 */
async function setupSentTransactions(c: pg.Client, db: Database.Database, table: string, plan: ColumnPlan, now: number, result: CopyEngineResult): Promise<Sweep> {
  const yesterday = now - 86_400_000;
  const newest = db.prepare(`SELECT rowid, * FROM sent_transactions WHERE rowid IN (SELECT max(rowid) FROM sent_transactions GROUP BY destination)`).safeIntegers(true).all() as Record<string, unknown>[];
  const old = newest.filter((r) => Number(r.ts) < yesterday);
  let maxRowid = 0;
  if (old.length) {
    const r = newSweepResult();
    const lines = old.map((row) => {
      maxRowid = Math.max(maxRowid, Number(row.rowid));
      return plan.names.map((n) => row[n]);
    });
    const text = lines.map((v, i) => rowToLine(v, plan, table, old[i]!.rowid, () => false)).filter((l): l is string => typeof l === 'string').join('');
    r.rows = lines.length;
    await pipeline(Readable.from([text]), c.query(copyFrom(`COPY sent_transactions (${pgColumnList(plan)}) FROM STDIN`)));
    result.rowsCopied += r.rows;
  }
  const first = db.prepare(`SELECT rowid AS r FROM sent_transactions WHERE ts >= ? ORDER BY rowid ASC LIMIT 1`).get(yesterday) as { r: number } | undefined;
  return { forward: Math.max(maxRowid + 1, first?.r ?? 1), backward: 0 };
}

/** event_search: rows joined to their events, the tsvector built by PostgreSQL (to_tsvector('english', value)) as the script does. */
async function copyEventSearch(c: pg.Client, db: Database.Database, probe: Database.Database, sweep: Sweep, r: SweepResult, onRows: (n: number) => void, chunkRows?: number): Promise<void> {
  await c.query(`CREATE TEMP TABLE spgw_event_search (event_id text, room_id text, key text, sender text, value text, origin_server_ts bigint, stream_ordering bigint) ON COMMIT DROP`);
  const gen = sweepTable(
    {
      db,
      probe,
      table: 'event_search',
      plan: EVENT_SEARCH_PLAN,
      sweep: { forward: sweep.forward },
      select: { rowid: 'es.rowid', columns: 'es.event_id, es.room_id, es.key, es.sender, es.value, e.origin_server_ts, e.stream_ordering', from: 'event_search AS es INNER JOIN events AS e USING (event_id, room_id)' },
      onRows,
      chunkRows,
    },
    r,
  );
  await pipeline(Readable.from(gen, { objectMode: false }), c.query(copyFrom(`COPY spgw_event_search FROM STDIN`)));
  await c.query(`INSERT INTO event_search (event_id, room_id, key, sender, vector, origin_server_ts, stream_ordering)
    SELECT event_id, room_id, key, sender, to_tsvector('english', value), origin_server_ts, stream_ordering FROM spgw_event_search`);
}

async function connect(cfg: pg.ClientConfig): Promise<pg.Client> {
  const c = new pg.Client(cfg);
  c.on('error', () => undefined);
  await c.connect().catch((e) => {
    throw connectError(e);
  });
  return c;
}

async function inTransaction(c: pg.Client, fn: (c: pg.Client) => Promise<void>): Promise<void> {
  await c.query('BEGIN');
  try {
    await fn(c);
    await c.query('COMMIT');
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

/** Append-only tables each on their own; tables to replace grouped by the foreign keys that TRUNCATE ... CASCADE follows. */
function groupUnits(work: string[], replace: Set<string>, appendOnly: Set<string>, refs: Map<string, Set<string>>): Unit[] {
  const units: Unit[] = [];
  for (const t of work) if (appendOnly.has(t) && !replace.has(t)) units.push({ tables: [t], kind: 'append' });
  const seen = new Set<string>();
  for (const t of work) {
    if (!replace.has(t) || seen.has(t)) continue;
    const group: string[] = [];
    const stack = [t];
    while (stack.length) {
      const x = stack.pop()!;
      if (seen.has(x)) continue;
      seen.add(x);
      group.push(x);
      for (const y of replace) {
        if (seen.has(y)) continue;
        if (refs.get(x)?.has(y) || refs.get(y)?.has(x)) stack.push(y);
      }
    }
    units.push({ tables: orderByReferences(group, refs), kind: 'replace' });
  }
  return units;
}

function orderByReferences(tables: string[], refs: Map<string, Set<string>>): string[] {
  const out: string[] = [];
  const left = new Set(tables);
  while (left.size) {
    const ready = [...left].filter((t) => ![...(refs.get(t) ?? [])].some((p) => left.has(p) && p !== t));
    const take = ready.length ? ready : [...left]; // a cycle (none in Synapse's schema): take the rest as it comes
    for (const t of take) {
      out.push(t);
      left.delete(t);
    }
  }
  return out;
}

/** Runs units in waves as the script does: a unit starts once the tables it references are done; `limit` at once. */
async function runWaves(units: Unit[], refs: Map<string, Set<string>>, limit: number, weight: (u: Unit) => number, fn: (u: Unit, worker: number) => Promise<void>): Promise<void> {
  const inWork = new Set(units.flatMap((u) => u.tables));
  const finished = new Set<string>();
  const pending = [...units];
  while (pending.length) {
    const ready = pending.filter((u) => u.tables.every((t) => [...(refs.get(t) ?? [])].every((p) => u.tables.includes(p) || !inWork.has(p) || finished.has(p))));
    const wave = (ready.length ? ready : [pending[0]!]).sort((a, b) => weight(b) - weight(a));
    for (const u of wave) pending.splice(pending.indexOf(u), 1);
    let next = 0;
    const worker = async (_: unknown, w: number) => {
      while (next < wave.length) {
        const u = wave[next++]!;
        await fn(u, w);
        for (const t of u.tables) finished.add(t);
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, wave.length) }, worker));
  }
}

/** The script names columns unquoted in its INSERT, so PostgreSQL folds them to lower case ("Lock" is lock). */
function pgColumnList(plan: ColumnPlan): string {
  return plan.names.map((n) => quoteIdent(n.toLowerCase())).join(', ');
}

function drain(gen: Generator<string>): void {
  for (let x = gen.next(); !x.done; x = gen.next());
}
