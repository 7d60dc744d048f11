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
  const seqValue = async (s: string): Promise<number> => {
    const [r] = await admin.query<{ v: string }>(`SELECT (CASE WHEN is_called THEN last_value ELSE last_value - 1 END)::text AS v FROM ${quoteIdent(s)}`, dbName);
    return Number(r?.v ?? 0);
  };
  for (const spec of SEQUENCES) {
    if (!seqs.has(spec.sequence)) continue;
    const present = spec.sources.filter(([t]) => pgTables.has(t));
    if (!present.length) continue;
    const agg = spec.negative ? '-min' : 'max';
    const sql = present.map(([t, c]) => `SELECT coalesce(${agg}(${quoteIdent(c)}), 0)::bigint::text AS m FROM ${quoteIdent(t)}`).join(' UNION ALL ');
    const max = Math.max(0, ...(await admin.query<{ m: string }>(sql, dbName)).map((r) => Number(r.m)));
    const v = await seqValue(spec.sequence);
    if (v < max) out.sequenceProblems.push(`sequence ${spec.sequence} is at ${v}, below ${max} in ${present.map(([t, c]) => `${t}.${c}`).join('/')}`);
  }
  if (pgTables.has('stream_positions')) {
    const rows = await admin.query<{ s: string; m: string }>(`SELECT stream_name AS s, max(stream_id)::text AS m FROM stream_positions GROUP BY stream_name`, dbName);
    for (const r of rows) {
      const seq = STREAM_SEQUENCES[r.s];
      if (!seq || !seqs.has(seq)) continue;
      const v = await seqValue(seq);
      if (Number(r.m) > v) {
        out.streamFixes.push({ problem: `stream_positions has ${r.s} at ${r.m}, ahead of sequence ${seq} (${v}): Synapse would refuse to start ("is inconsistent with associated stream position")`, sql: `SELECT setval(${quoteLiteral(seq)}, ${Number(r.m)})` });
      }
    }
  }
  return out;
}
