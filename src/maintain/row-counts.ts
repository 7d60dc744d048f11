// Exact row counts of every table in Synapse's schema, in one statement (so inside one snapshot when the caller holds one).
import type pg from 'pg';

export type RowCounts = Record<string, number>;

export const ROW_COUNTS_SQL = `SELECT c.relname AS t,
       (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', s.nspname, c.relname), false, true, '')))[1]::text AS n
  FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
 WHERE s.nspname = 'public' AND c.relkind IN ('r', 'p')
 ORDER BY c.relname`;

export async function rowCounts(c: pg.Client): Promise<RowCounts> {
  const r = await c.query<{ t: string; n: string }>(ROW_COUNTS_SQL);
  return Object.fromEntries(r.rows.map((x) => [x.t, Number(x.n)]));
}

/** Tables whose counts differ ("events: 120 in the backup, 119 restored"), missing ones included. */
export function countDifferences(expected: RowCounts, actual: RowCounts): string[] {
  const out: string[] = [];
  for (const [t, n] of Object.entries(expected)) {
    if (!(t in actual)) out.push(`${t}: missing`);
    else if (actual[t] !== n) out.push(`${t}: ${n} in the backup, ${actual[t]} restored`);
  }
  for (const t of Object.keys(actual)) if (!(t in expected)) out.push(`${t}: not in the backup`);
  return out;
}
