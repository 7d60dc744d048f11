// Facts about synapse_port_db (Synapse 1.160, synapse/_scripts/synapse_port_db.py): which tables it resumes, skips, or treats specially.

/** Tables the script resumes by rowid; every other table is truncated and copied again in full on each run. */
export const APPEND_ONLY_TABLES = [
  'cache_invalidation_stream_by_instance', 'event_auth', 'event_edges', 'event_json', 'event_reference_hashes', 'event_search',
  'event_to_state_groups', 'events', 'ex_outlier_stream', 'local_media_repository', 'local_media_repository_thumbnails',
  'presence_stream', 'public_room_list_stream', 'push_rules_stream', 'received_transactions', 'redactions', 'rejections',
  'remote_media_cache', 'remote_media_cache_thumbnails', 'room_memberships', 'room_names', 'rooms', 'sent_transactions',
  'state_events', 'state_group_edges', 'state_groups', 'state_groups_state', 'stream_ordering_to_exterm', 'topics',
  'transaction_id_to_pdu', 'un_partial_stated_event_stream', 'users',
] as const;

/** Not ported on purpose: Synapse rebuilds them. */
export const IGNORED_TABLES = new Set([
  'user_directory', 'user_directory_search', 'user_directory_search_content', 'user_directory_search_docsize',
  'user_directory_search_segdir', 'user_directory_search_segments', 'user_directory_search_stat', 'user_directory_search_pos',
  'users_who_share_private_rooms', 'users_in_public_rooms', 'ui_auth_sessions', 'ui_auth_sessions_credentials', 'ui_auth_sessions_ips',
  'worker_read_write_locks_mode', 'worker_read_write_locks',
]);

/** Never copied: schema bookkeeping of each database. */
export const SCHEMA_TABLES = new Set(['schema_version', 'applied_schema_deltas', 'schema_compat_version', 'port_from_sqlite3']);

/** Tables whose PostgreSQL count may be lower than SQLite's by design. */
export const FEWER_ROWS_ALLOWED: Record<string, string> = {
  sent_transactions: 'only the last day (and the last row per destination) is carried over',
  event_search: 'rebuilt with to_tsvector from rows joined to their events; rows with NUL bytes are dropped',
};

/** Sequences the script sets from table maxima: sequence -> [table, column, aggregate]. */
export const SEQUENCES: { sequence: string; sources: [string, string][]; negative?: boolean }[] = [
  { sequence: 'state_group_id_seq', sources: [['state_groups', 'id']] },
  { sequence: 'events_stream_seq', sources: [['events', 'stream_ordering']] },
  { sequence: 'events_backfill_stream_seq', sources: [['events', 'stream_ordering']], negative: true },
  { sequence: 'device_inbox_sequence', sources: [['device_inbox', 'stream_id'], ['device_federation_outbox', 'stream_id']] },
  { sequence: 'account_data_sequence', sources: [['room_account_data', 'stream_id'], ['room_tags_revisions', 'stream_id'], ['account_data', 'stream_id']] },
  { sequence: 'receipts_sequence', sources: [['receipts_linearized', 'stream_id']] },
  { sequence: 'presence_stream_sequence', sources: [['presence_stream', 'stream_id']] },
  { sequence: 'event_auth_chain_id', sources: [['event_auth_chains', 'chain_id']] },
  { sequence: 'device_lists_sequence', sources: [['device_lists_stream', 'stream_id'], ['user_signature_stream', 'stream_id'], ['device_lists_outbound_pokes', 'stream_id'], ['device_lists_changes_in_room', 'stream_id']] },
  { sequence: 'e2e_cross_signing_keys_sequence', sources: [['e2e_cross_signing_keys', 'stream_id']] },
  { sequence: 'push_rules_stream_sequence', sources: [['push_rules_stream', 'stream_id']] },
  { sequence: 'pushers_sequence', sources: [['pushers', 'id'], ['deleted_pushers', 'stream_id']] },
  { sequence: 'un_partial_stated_event_stream_sequence', sources: [['un_partial_stated_event_stream', 'stream_id']] },
];

export { STREAM_SEQUENCES } from '../synapse/stream-sequences.js';

/**
 * Append-only tables (to synapse_port_db) that Synapse itself prunes while it runs: rows ported earlier and deleted from SQLite
 * since stay in PostgreSQL (the script's own comment says so for purges). With Synapse stopped they are deleted by key.
 */
export const PRUNED_BY_SYNAPSE: Record<string, string[]> = {
  presence_stream: ['stream_id'],
  cache_invalidation_stream_by_instance: ['stream_id', 'instance_name', 'cache_func'],
  received_transactions: ['transaction_id', 'origin'],
};
