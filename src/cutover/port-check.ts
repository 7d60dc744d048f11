// Proves a finished port: row counts equal on both sides (with the script's documented exceptions), sequences at or above
// their tables' maxima, and stream_positions not ahead of the sequences Synapse checks at start.
import type { PgAdmin } from '../adapters/pg-admin.js';
import { quoteIdent, quoteLiteral } from '../pg/identifiers.js';
import { sqliteRowCounts } from './sqlite-facts.js';
import { openReadOnly } from '../adapters/sqlite.js';
import { FEWER_ROWS_ALLOWED, IGNORED_TABLES, PRUNED_BY_SYNAPSE, SCHEMA_TABLES, SEQUENCES, STREAM_SEQUENCES } from './tables.js';

export interface PortCheck {
  tablesCompared: number;
  rowsSqlite: number;
  rowsPostgres: number;
  mismatches: string[];
  /** Allowed differences, for the report. */
  notes: string[];
  sequenceProblems: string[];
  /** SQL that raises sequences behind their stream positions, or deletes rows Synapse pruned from SQLite after they were ported (run with Synapse stopped). */
  streamFixes: { problem: string; sql: string }[];
}

/** DELETE for the PostgreSQL rows of `table` whose key no longer exists in SQLite. */
function pruneSql(sqlite: string, table: string, keys: string[]): string {
  const db = openReadOnly(sqlite);
  try {
    const rows = db.prepare(`SELECT ${keys.map((k) => `"${k}"`).join(', ')} FROM "${table}"`).raw().all() as unknown[][];
    const lit = (v: unknown) => (v === null ? 'NULL' : typeof v === 'number' || typeof v === 'bigint' ? String(v) : quoteLiteral(String(v)));
    if (!rows.length) return `DELETE FROM ${quoteIdent(table)}`;
    const cols = keys.map(quoteIdent).join(', ');
    return `DELETE FROM ${quoteIdent(table)} WHERE (${cols}) NOT IN (SELECT * FROM (VALUES ${rows.map((r) => `(${r.map(lit).join(', ')})`).join(', ')}) AS kept)`;
  } finally {
    db.close();
  }
}

export async function checkPort(admin: PgAdmin, dbName: string, sqlite: string, dropped: Record<string, number>): Promise<PortCheck> {
  const sq = sqliteRowCounts(sqlite);
  const pgTables = new Set((await admin.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'`, dbName)).map((r) => r.t));
  const compared = Object.keys(sq).filter((t) => pgTables.has(t) && !IGNORED_TABLES.has(t) && !SCHEMA_TABLES.has(t)).sort();
  const pg: Record<string, number> = {};
  for (let i = 0; i < compared.length; i += 100) {
    const part = compared.slice(i, i + 100);
    const sql = part.map((t) => `SELECT ${quoteLiteral(t)} AS t, count(*)::bigint::text AS n FROM ${quoteIdent(t)}`).join(' UNION ALL ');
    for (const r of await admin.query<{ t: string; n: string }>(sql, dbName)) pg[r.t] = Number(r.n);
  }
  const out: PortCheck = { tablesCompared: compared.length, rowsSqlite: 0, rowsPostgres: 0, mismatches: [], notes: [], sequenceProblems: [], streamFixes: [] };
  for (const t of compared) {
    const a = sq[t]!;
    const b = pg[t] ?? 0;
    out.rowsSqlite += a;
    out.rowsPostgres += b;
    if (a === b) continue;
    const drop = dropped[t] ?? 0;
    const keys = PRUNED_BY_SYNAPSE[t];
    if (b > a && keys) {
      out.streamFixes.push({ problem: `${t}: ${b - a} row(s) in PostgreSQL that Synapse has deleted from SQLite since they were ported`, sql: pruneSql(sqlite, t, keys) });
      out.rowsPostgres -= b - a;
      continue;
    }
    if (b < a && a - b <= drop) out.notes.push(`${t}: ${a - b} row(s) with NUL bytes dropped by synapse_port_db`);
    else if (b <= a && FEWER_ROWS_ALLOWED[t]) out.notes.push(`${t}: ${b} of ${a} rows (${FEWER_ROWS_ALLOWED[t]})`);
    else out.mismatches.push(`${t}: ${a} rows in SQLite, ${b} in PostgreSQL`);
  }
  const seqs = new Set((await admin.query<{ s: string }>(`SELECT sequencename AS s FROM pg_sequences WHERE schemaname = 'public'`, dbName)).map((r) => r.s));
  // One query for every sequence's value and its tables' maxima: each round trip costs a connection with a URL admin.
  const value = (s: string) => `(SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM ${quoteIdent(s)})`;
  const checks = SEQUENCES.filter((spec) => seqs.has(spec.sequence))
    .map((spec) => ({ spec, present: spec.sources.filter(([t]) => pgTables.has(t)) }))
    .filter((c) => c.present.length);
  if (checks.length) {
    const sql = checks
      .map(({ spec, present }) => {
        const agg = spec.negative ? '-min' : 'max';
        const maxima = present.map(([t, c]) => `(SELECT coalesce(${agg}(${quoteIdent(c)}), 0) FROM ${quoteIdent(t)})`);
        return `SELECT ${quoteLiteral(spec.sequence)} AS s, ${value(spec.sequence)}::text AS v, greatest(0, ${maxima.join(', ')})::bigint::text AS m`;
      })
      .join(' UNION ALL ');
    const rows = new Map((await admin.query<{ s: string; v: string; m: string }>(sql, dbName)).map((r) => [r.s, r]));
    for (const { spec, present } of checks) {
      const r = rows.get(spec.sequence)!;
      const v = Number(r.v);
      const max = Number(r.m);
      if (v < max) out.sequenceProblems.push(`sequence ${spec.sequence} is at ${v}, below ${max} in ${present.map(([t, c]) => `${t}.${c}`).join('/')}`);
    }
  }
  if (pgTables.has('stream_positions')) {
    const streams = Object.entries(STREAM_SEQUENCES).filter(([, seq]) => seqs.has(seq));
    const sql = streams.length
      ? `SELECT p.stream_name AS s, max(p.stream_id)::text AS m, v.value::text AS v FROM stream_positions p JOIN (${streams
          .map(([name, seq]) => `SELECT ${quoteLiteral(name)} AS name, ${value(seq)} AS value`)
          .join(' UNION ALL ')}) v ON v.name = p.stream_name GROUP BY p.stream_name, v.value`
      : undefined;
    for (const r of sql ? await admin.query<{ s: string; m: string; v: string }>(sql, dbName) : []) {
      const seq = STREAM_SEQUENCES[r.s]!;
      const v = Number(r.v);
      if (Number(r.m) > v) {
        out.streamFixes.push({ problem: `stream_positions has ${r.s} at ${r.m}, ahead of sequence ${seq} (${v}): Synapse would refuse to start ("is inconsistent with associated stream position")`, sql: `SELECT setval(${quoteLiteral(seq)}, ${Number(r.m)})` });
      }
    }
  }
  return out;
}
