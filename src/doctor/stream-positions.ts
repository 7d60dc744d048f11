// FAILURES 16: a stream position in stream_positions is ahead of its PostgreSQL sequence, so Synapse refuses to start.
import { quoteLiteral } from '../pg/identifiers.js';
import { requireDoctorAdmin } from './context.js';
import type { Diagnosis } from './types.js';
import { STREAM_SEQUENCES } from '../synapse/stream-sequences.js';
import { ERROR_TEXTS } from '../synapse/known-errors.js';


interface Behind {
  stream: string;
  seq: string;
  position: string;
  last: string;
}

export const streamPositions: Diagnosis = {
  id: 'stream-positions',
  rank: 60,
  title: 'A sequence is behind its stream position in stream_positions',
  patterns: ERROR_TEXTS.streamPositions,
  async diagnose(ctx) {
    if (!ctx.onPostgres) return undefined;
    const admin = requireDoctorAdmin(ctx);
    const db = ctx.target.dbname;
    const [t] = await admin.query<{ ok: boolean }>(`SELECT to_regclass('public.stream_positions') IS NOT NULL AS ok`, db);
    if (!t?.ok) return undefined;
    const seqs = await admin.query<{ s: string }>(`SELECT sequencename AS s FROM pg_sequences WHERE schemaname = 'public'`, db);
    const have = new Set(seqs.map((x) => x.s));
    const pairs = Object.entries(STREAM_SEQUENCES).filter(([, s]) => have.has(s));
    if (!pairs.length) return undefined;
    // Synapse's check: MAX(stream_id) for the stream must not exceed last_value (minus one when is_called is false).
    const sql = pairs
      .map(([stream, seq]) => `SELECT ${quoteLiteral(stream)} AS stream, ${quoteLiteral(seq)} AS seq, (SELECT MAX(stream_id) FROM stream_positions WHERE stream_name = ${quoteLiteral(stream)})::text AS position, (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM public.${seq})::text AS last`)
      .join(' UNION ALL ');
    const rows = await admin.query<Behind>(sql, db);
    const behind = rows.filter((r) => r.position !== null && BigInt(r.position) > 0n && BigInt(r.position) > BigInt(r.last));
    if (!behind.length) return undefined;
    const fixSql = behind.map((b) => `SELECT setval(${quoteLiteral(b.seq)}, ${b.position});`).join('\n');
    return {
      id: this.id,
      title: this.title,
      evidence: behind.map((b) => `stream_positions has '${b.stream}' at ${b.position}, but sequence ${b.seq} is at ${b.last}`).join('; ') + '.',
      cause: 'synapse_port_db copies stream_positions from SQLite but rebuilds the sequences from the tables\' maximum ids; Synapse then refuses to start ("Postgres sequence ... is inconsistent with associated stream position").',
      fix: `with Synapse and all workers stopped, raise each sequence to its stream position: ${fixSql.replace(/\n/g, ' ')}`,
      needsSynapseStopped: true,
      plan: [{ kind: 'sql', sql: fixSql, database: db, note: "Synapse's own workaround, DELETE FROM stream_positions WHERE stream_name = '...', would have to be repeated at every restart" }],
      apply: async () => {
        await admin.exec(`BEGIN;\n${fixSql}\nCOMMIT;`, db);
        return `Raised ${behind.map((b) => `${b.seq} to ${b.position}`).join(', ')}.`;
      },
    };
  },
  fromText: () => ({ cause: 'A PostgreSQL sequence is behind the position recorded in stream_positions (after synapse_port_db).', fix: "with Synapse and all workers stopped, SELECT setval('<sequence>', <position>) or DELETE FROM stream_positions WHERE stream_name = '<stream>'" }),
};
