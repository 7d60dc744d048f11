// A PostgreSQL sequence behind the largest id in the table it numbers: Synapse's next insert takes an id that exists and fails
// with "duplicate key value violates unique constraint" (23505). Seen after a port, a restore of data without sequences, or
// rows copied by hand. The fix raises the sequence to the table's maximum with Synapse stopped.
import { quoteIdent, quoteLiteral } from '../pg/identifiers.js';
import { requireDoctorAdmin } from './context.js';
import type { Diagnosis } from './types.js';

/** Synapse's sequences and the columns whose values they hand out (as synapse_port_db sets them up). */
export const SEQUENCE_COLUMNS: Record<string, [string, string][]> = {
  state_group_id_seq: [['state_groups', 'id']],
  events_stream_seq: [['events', 'stream_ordering']],
  event_auth_chain_id: [['event_auth_chains', 'chain_id']],
  device_inbox_sequence: [['device_inbox', 'stream_id'], ['device_federation_outbox', 'stream_id']],
  account_data_sequence: [['room_account_data', 'stream_id'], ['room_tags_revisions', 'stream_id'], ['account_data', 'stream_id']],
  receipts_sequence: [['receipts_linearized', 'stream_id']],
  presence_stream_sequence: [['presence_stream', 'stream_id']],
  application_services_txn_id_seq: [['application_services_txns', 'txn_id']],
  cache_invalidation_stream_seq: [['cache_invalidation_stream_by_instance', 'stream_id']],
  push_rules_stream_sequence: [['push_rules_stream', 'stream_id']],
  pushers_sequence: [['pushers', 'id'], ['deleted_pushers', 'stream_id']],
  device_lists_sequence: [['device_lists_stream', 'stream_id']],
};

interface Behind {
  seq: string;
  last: string;
  max: string;
  source: string;
}

export const sequenceBehind: Diagnosis = {
  id: 'sequence-behind-table',
  rank: 61,
  title: 'A sequence is behind the largest id in its table',
  patterns: [/duplicate key value violates unique constraint "(state_groups|events|event_auth_chains|device_inbox|receipts_linearized|presence_stream|application_services_txns)/],
  async diagnose(ctx) {
    if (!ctx.onPostgres) return undefined;
    const admin = requireDoctorAdmin(ctx);
    const db = ctx.target.dbname;
    const cols = await admin.query<{ t: string; c: string }>(`SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = 'public'`, db);
    const have = new Set(cols.map((x) => `${x.t}.${x.c}`));
    const seqs = new Set((await admin.query<{ s: string }>(`SELECT sequencename AS s FROM pg_sequences WHERE schemaname = 'public'`, db)).map((x) => x.s));
    const parts: string[] = [];
    for (const [seq, list] of Object.entries(SEQUENCE_COLUMNS)) {
      const present = list.filter(([t, c]) => have.has(`${t}.${c}`));
      if (!seqs.has(seq) || !present.length) continue;
      const max = present.map(([t, c]) => `(SELECT max(${quoteIdent(c)}) FROM public.${quoteIdent(t)})`).join(', ');
      const source = present.map(([t, c]) => `${t}.${c}`).join(', ');
      parts.push(`SELECT ${quoteLiteral(seq)} AS seq, (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM public.${quoteIdent(seq)})::text AS last, greatest(${max})::text AS max, ${quoteLiteral(source)} AS source`);
    }
    if (!parts.length) return undefined;
    const rows = await admin.query<Behind>(parts.join(' UNION ALL '), db);
    const behind = rows.filter((r) => r.max !== null && BigInt(r.max) > BigInt(r.last));
    if (!behind.length) return undefined;
    const fixSql = behind.map((b) => `SELECT setval(${quoteLiteral(b.seq)}, ${b.max});`).join('\n');
    return {
      id: this.id,
      title: this.title,
      evidence: behind.map((b) => `sequence ${b.seq} is at ${b.last}, but ${b.source} reaches ${b.max}`).join('; ') + '.',
      cause: "The rows came in without their sequence being moved (a port or restore that skipped it, or rows copied by hand); Synapse's next insert reuses an id and fails with SQLSTATE 23505.",
      fix: `with Synapse and all workers stopped, raise each sequence to its table's maximum: ${fixSql.replace(/\n/g, ' ')}`,
      needsSynapseStopped: true,
      plan: [{ kind: 'sql', sql: fixSql, database: db }],
      apply: async () => {
        await admin.exec(`BEGIN;\n${fixSql}\nCOMMIT;`, db);
        return `Raised ${behind.map((b) => `${b.seq} to ${b.max}`).join(', ')}.`;
      },
    };
  },
};
