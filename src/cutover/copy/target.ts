// The PostgreSQL side of the copy engine: column types and foreign keys (asked as the script asks them), port_from_sqlite3,
// connections and transactions, and how a SQLite table's columns map onto PostgreSQL's.
import pg from 'pg';
import type Database from 'better-sqlite3';
import { pgErrorToWizard } from '../../adapters/pg-errors.js';
import { WizardError } from '../../core/errors.js';
import { diagnosePort } from '../diagnose.js';
import { quoteIdent } from '../../pg/identifiers.js';
import { columnKind, type ColumnPlan } from './convert.js';
import type { PortRules } from './driver.js';
import { sqliteColumns, type Sweep } from './source.js';

export type PortRows = Map<string, { forward: number; backward: number }>;

/** A PostgreSQL error during the copy, mapped to a cause where one is known (the same table as synapse_port_db's errors). */
export function connectError(e: unknown): WizardError {
  const d = diagnosePort(undefined, (e as Error).message, 'the port log beside the config (.synapse-pg/)', 'The copy engine');
  return new WizardError('PG_QUERY', d.message, { cause: e, hint: `${d.hint} Finished tables are kept and a table cut short is copied again from its start; --engine port-db runs synapse_port_db instead.` });
}

export interface PgMeta {
  /** table -> column -> data_type */
  columns: Map<string, Map<string, string>>;
  /** table -> tables it references with a foreign key */
  references: Map<string, Set<string>>;
}

/** Column types and foreign keys of the target database. */
export async function readPgMeta(c: pg.Client): Promise<PgMeta> {
  try {
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
  }
}

/** Where each table's copy stands in port_from_sqlite3 (the script's own bookkeeping). */
export async function readPortRows(c: pg.Client): Promise<PortRows> {
  try {
    const r = await c.query<{ t: string; f: string; b: string }>(`SELECT table_name AS t, forward_rowid::text AS f, backward_rowid::text AS b FROM port_from_sqlite3`);
    return new Map(r.rows.map((x) => [x.t, { forward: Number(x.f), backward: Number(x.b) }]));
  } catch (e) {
    throw connectError(e);
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

/** A connection as Synapse's role; a refused login is diagnosed like every other login of the wizard. */
export async function connect(cfg: pg.ClientConfig): Promise<pg.Client> {
  const c = new pg.Client(cfg);
  c.on('error', () => undefined);
  await c.connect().catch((e) => {
    throw pgErrorToWizard(e, `${cfg.user ?? '?'}@${cfg.host ?? '?'}:${cfg.port ?? '?'}/${cfg.database ?? '?'}`);
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
