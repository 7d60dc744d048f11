// Synapse 1.160's stream_positions.stream_name -> the PostgreSQL sequence it checks it against at start
// ("Postgres sequence 'X' is inconsistent with associated stream position of 'Y'"); shared by the port check and the doctor.
export const STREAM_SEQUENCES: Record<string, string> = {
  account_data: 'account_data_sequence',
  caches: 'cache_invalidation_stream_seq',
  to_device: 'device_inbox_sequence',
  device_lists_stream: 'device_lists_sequence',
  e2e_cross_signing_keys: 'e2e_cross_signing_keys_sequence',
  events: 'events_stream_seq',
  backfill: 'events_backfill_stream_seq',
  un_partial_stated_event_stream: 'un_partial_stated_event_stream_sequence',
  presence_stream: 'presence_stream_sequence',
  profile_updates: 'profile_updates_sequence',
  push_rules_stream: 'push_rules_stream_sequence',
  pushers: 'pushers_sequence',
  receipts: 'receipts_sequence',
  un_partial_stated_room_stream: 'un_partial_stated_room_stream_sequence',
  quarantined_media: 'quarantined_media_id_seq',
  sticky_events: 'sticky_events_sequence',
  thread_subscriptions: 'thread_subscriptions_sequence',
};
