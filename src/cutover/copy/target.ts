// The PostgreSQL side of the copy engine: column types and foreign keys (asked as the script asks them), port_from_sqlite3,
// connections and transactions, and how a SQLite table's columns map onto PostgreSQL's.
import pg from 'pg';
import type Database from 'better-sqlite3';
import { WizardError } from '../../core/errors.js';
import { quoteIdent } from '../../pg/identifiers.js';
import { columnKind, type ColumnPlan } from './convert.js';
import type { PortRules } from './driver.js';
import { sqliteColumns, type Sweep } from './source.js';

export type PortRows = Map<string, { forward: number; backward: number }>;

export function connectError(e: unknown): WizardError {
  return new WizardError('PG_QUERY', `The copy engine failed in PostgreSQL: ${(e as Error).message}`, { cause: e, hint: 'Run cutover again: finished tables are kept and the rest is copied again from its start. --engine port-db runs synapse_port_db instead.' });
}

export interface PgMeta {
  /** table -> column -> data_type */
  columns: Map<string, Map<string, string>>;
  /** table -> tables it references with a foreign key */
  references: Map<string, Set<string>>;
}

export async function readPgMeta(cfg: pg.ClientConfig): Promise<PgMeta> {
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

export async function readPortRows(cfg: pg.ClientConfig): Promise<PortRows> {
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

export function planFor(db: Database.Database, table: string, meta: PgMeta, rules: PortRules): ColumnPlan {
  const names = sqliteColumns(db, table);
  const pgCols = meta.columns.get(table);
  const bools = new Set(rules.booleanColumns[table] ?? []);
  return { names, kinds: names.map((n) => columnKind(pgCols?.get(n.toLowerCase()), bools.has(n))) };
}

export function sweepFor(table: string, ports: PortRows): Sweep {
  const p = ports.get(table);
  if (table === 'event_search') return { forward: p?.forward ?? 1 };
  return p ? { forward: p.forward, backward: p.backward } : { forward: 1, backward: 0 };
}

export async function connect(cfg: pg.ClientConfig): Promise<pg.Client> {
  const c = new pg.Client(cfg);
  c.on('error', () => undefined);
  await c.connect().catch((e) => {
    throw connectError(e);
  });
  return c;
}

export async function inTransaction(c: pg.Client, fn: (c: pg.Client) => Promise<void>): Promise<void> {
  await c.query('BEGIN');
  try {
    await fn(c);
    await c.query('COMMIT');
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

/** The script names columns unquoted in its INSERT, so PostgreSQL folds them to lower case ("Lock" is lock). */
export function pgColumnList(plan: ColumnPlan): string {
  return plan.names.map((n) => quoteIdent(n.toLowerCase())).join(', ');
}
