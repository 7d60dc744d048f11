// Facts about Synapse's database from pg_database, shared by the database diagnoses.
import { quoteLiteral } from '../pg/identifiers.js';
import { requireDoctorAdmin, type DoctorContext } from './context.js';

export interface DbRow {
  encoding: string;
  collate: string;
  ctype: string;
  owner: string;
}

export async function dbRow(ctx: DoctorContext, name = ctx.target.dbname): Promise<DbRow | undefined> {
  const [row] = await requireDoctorAdmin(ctx).query<DbRow>(
    `SELECT pg_encoding_to_char(d.encoding) AS encoding, d.datcollate AS collate, d.datctype AS ctype, r.rolname AS owner
       FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = ${quoteLiteral(name)}`,
  );
  return row;
}

/** Exact row counts of every table in the public schema (the proof that a dump and restore kept everything). */
export async function rowCounts(ctx: DoctorContext, db: string): Promise<Record<string, number>> {
  const admin = requireDoctorAdmin(ctx);
  const tables = await admin.query<{ t: string }>(`SELECT quote_ident(tablename) AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`, db);
  if (!tables.length) return {};
  const sql = tables.map((x) => `SELECT ${quoteLiteral(x.t)} AS t, count(*)::bigint::text AS n FROM public.${x.t}`).join(' UNION ALL ');
  const rows = await admin.query<{ t: string; n: string }>(sql, db);
  return Object.fromEntries(rows.map((r) => [r.t, Number(r.n)]));
}
