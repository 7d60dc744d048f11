// The port verification on a real PostgreSQL database: counts, sequences behind their tables, stream_positions ahead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createPgAdmin } from '../src/adapters/pg-admin.js';
import { checkPort } from '../src/cutover/port-check.js';
import { startCluster } from './helpers/cluster.js';

test('checkPort finds a sequence below its table, the backfill sequence, stream_positions ahead, and a count mismatch', async () => {
  const c = await startCluster();
  try {
    c.psql('CREATE DATABASE portcheck');
    c.psql(
      `CREATE TABLE events (stream_ordering bigint, event_id text);
       INSERT INTO events VALUES (10, '$a'), (-5, '$b');
       CREATE SEQUENCE events_stream_seq; SELECT setval('events_stream_seq', 3);
       CREATE SEQUENCE events_backfill_stream_seq;
       CREATE TABLE stream_positions (stream_name text, instance_name text, stream_id bigint);
       INSERT INTO stream_positions VALUES ('events', 'master', 20);
       CREATE TABLE receipts_linearized (room_id text);
       INSERT INTO receipts_linearized VALUES ('!r');`,
      'portcheck',
    );
    const file = join(mkdtempSync(join(tmpdir(), 'spgw-vp-')), 'homeserver.db');
    const db = new Database(file);
    db.exec(`CREATE TABLE events (stream_ordering bigint, event_id text);
      INSERT INTO events VALUES (10, '$a'), (-5, '$b');
      CREATE TABLE stream_positions (stream_name text, instance_name text, stream_id bigint);
      INSERT INTO stream_positions VALUES ('events', 'master', 20);
      CREATE TABLE receipts_linearized (room_id text);
      INSERT INTO receipts_linearized VALUES ('!r'), ('!s');`);
    db.close();
    const admin = createPgAdmin({ kind: 'local' }, { ...process.env, ...c.env });
    const r = await checkPort(admin, 'portcheck', file, {});
    assert.equal(r.tablesCompared, 3);
    assert.deepEqual(r.mismatches, ['receipts_linearized: 2 rows in SQLite, 1 in PostgreSQL']);
    assert.deepEqual(r.sequenceProblems.sort(), [
      'sequence events_backfill_stream_seq is at 0, below 5 in events.stream_ordering',
      'sequence events_stream_seq is at 3, below 10 in events.stream_ordering',
    ]);
    assert.equal(r.streamFixes.length, 1);
    assert.match(r.streamFixes[0]!.problem, /stream_positions has events at 20, ahead of sequence events_stream_seq \(3\)/);
    assert.equal(r.streamFixes[0]!.sql, `SELECT setval('events_stream_seq', 20)`);
    // after the fix, Synapse's own start-up check would pass: the sequence is no longer behind
    c.psql(r.streamFixes[0]!.sql, 'portcheck');
    const again = await checkPort(admin, 'portcheck', file, {});
    assert.deepEqual(again.streamFixes, []);
    assert.deepEqual(again.sequenceProblems, ['sequence events_backfill_stream_seq is at 0, below 5 in events.stream_ordering']);
  } finally {
    c.stop();
  }
});
