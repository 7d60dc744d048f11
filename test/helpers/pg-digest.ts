// For every table of a database: an order-independent digest of every column of every row, computed by PostgreSQL itself
// (md5 of each row's text form, sorted, hashed again), plus every sequence's state. Two databases that give the same map hold
// the same data, whatever order the rows were loaded in.
import pg from 'pg';

export interface DbDigest {
  tables: Record<string, { rows: number; digest: string }>;
  sequences: Record<string, string>;
}

export async function digestDatabase(config: pg.ClientConfig): Promise<DbDigest> {
  const c = new pg.Client(config);
  await c.connect();
  try {
    const tables = (await c.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).rows.map((r) => r.t);
    const out: DbDigest = { tables: {}, sequences: {} };
    for (const t of tables) {
      const q = `"${t.replace(/"/g, '""')}"`;
      const r = await c.query<{ n: string; d: string | null }>(`SELECT count(*)::text AS n, md5(string_agg(h, '' ORDER BY h)) AS d FROM (SELECT md5(x::text) AS h FROM ${q} AS x) s`);
      out.tables[t] = { rows: Number(r.rows[0]!.n), digest: r.rows[0]!.d ?? 'empty' };
    }
    // pg_sequences shows NULL for a sequence restarted with ALTER SEQUENCE ... RESTART (as the script sets them): read each one.
    const seqs = (await c.query<{ s: string }>(`SELECT sequencename AS s FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1`)).rows.map((r) => r.s);
    for (const s of seqs) {
      const r = await c.query<{ v: string; called: boolean }>(`SELECT last_value::text AS v, is_called AS called FROM "${s.replace(/"/g, '""')}"`);
      out.sequences[s] = `${r.rows[0]!.v}${r.rows[0]!.called ? '' : ' (next)'}`;
    }
    return out;
  } finally {
    await c.end();
  }
}

/** Tables and sequences whose digests differ between two databases, as readable lines. */
export function digestDifferences(a: DbDigest, b: DbDigest, except: Record<string, string> = {}): string[] {
  const out: string[] = [];
  for (const t of new Set([...Object.keys(a.tables), ...Object.keys(b.tables)])) {
    if (except[t]) continue;
    const x = a.tables[t];
    const y = b.tables[t];
    if (!x || !y) out.push(`table ${t}: only in ${x ? 'the first' : 'the second'}`);
    else if (x.digest !== y.digest) out.push(`table ${t}: ${x.rows} rows (${x.digest.slice(0, 8)}) vs ${y.rows} rows (${y.digest.slice(0, 8)})`);
  }
  for (const s of new Set([...Object.keys(a.sequences), ...Object.keys(b.sequences)])) {
    if (except[s]) continue;
    if (a.sequences[s] !== b.sequences[s]) out.push(`sequence ${s}: ${a.sequences[s] ?? 'missing'} vs ${b.sequences[s] ?? 'missing'}`);
  }
  return out;
}
