// The pieces of maintain that need no server: the report's text (exact), pg_restore --list parsing, pg_dump's argv, --before, listeners.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { parseCommandLine } from '../src/cli/args.js';
import { clientBaseUrl } from '../src/synapse/listener.js';
import { maintainSteps } from '../src/maintain/flows.js';
import { maintainOptions, parseBefore } from '../src/commands/options.js';
import { parseRestoreList, pgDumpArgv, pgRestoreArgv } from '../src/maintain/pg-tools.js';
import { formatReport } from '../src/maintain/report-text.js';
import { countDifferences } from '../src/maintain/row-counts.js';
import { formatBytes } from '../src/maintain/sizes.js';
import { isLocalHost } from '../src/pg/host.js';
import { INSTALL_HINT } from '../src/maintain/steps/compress.js';
import { jsonSink } from '../screens/json.js';
import { textSink } from '../screens/text.js';

const report = {
  event: 'report' as const,
  id: 'size-report',
  title: 'Database synapse: largest tables (pg_total_relation_size)',
  unit: 'bytes' as const,
  bars: [
    { label: 'state_groups_state', value: 5_000_000 },
    { label: 'events', value: 1_250_000 },
    { label: 'rooms', value: 8192 },
    { label: 'empty', value: 0 },
  ],
  figures: [
    { label: 'database', value: 12_345_678, unit: 'bytes' as const },
    { label: 'tables', value: 178, unit: 'count' as const },
    { label: 'free disk', value: 'unknown: PostgreSQL runs on db.example.org, not on this machine' },
  ],
};

test('a report renders as figures and a bar chart scaled to the largest value (exact text)', () => {
  assert.equal(
    formatReport(report, 20),
    [
      'database   11.8 MiB',
      'tables     178',
      'free disk  unknown: PostgreSQL runs on db.example.org, not on this machine',
      '',
      'state_groups_state #################### 4.8 MiB',
      'events             #####............... 1.2 MiB',
      'rooms              #................... 8.0 KiB',
      'empty              .................... 0 B',
    ].join('\n'),
  );
});

test('the text screen prints the report under its title; --json keeps it as data', () => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d) => (text += d));
  textSink(out)(report);
  assert.match(text, /^ {3}Database synapse: largest tables \(pg_total_relation_size\)\n {3}\| database {3}11\.8 MiB\n/);
  assert.match(text, /\| state_groups_state #{30} 4\.8 MiB\n/);
  const json = new PassThrough();
  let line = '';
  json.on('data', (d) => (line += d));
  jsonSink(json)(report);
  assert.deepEqual(JSON.parse(line), report);
});

test('pg_restore --list: tables and table data of the public schema, comments ignored', () => {
  const list = [
    ';',
    '; Archive created at 2026-11-22 07:30:00 UTC',
    ';     dbname: synapse',
    '215; 1259 16400 TABLE public access_tokens synapse_user',
    '216; 1259 16410 TABLE public e2e_one_time_keys_json synapse_user',
    '3600; 0 16400 TABLE DATA public access_tokens synapse_user',
    '3601; 0 0 SEQUENCE SET public events_stream_seq synapse_user',
    '3700; 2606 16500 CONSTRAINT public access_tokens access_tokens_pkey synapse_user',
  ].join('\n');
  assert.deepEqual(parseRestoreList(list), [
    { kind: 'TABLE', table: 'access_tokens' },
    { kind: 'TABLE', table: 'e2e_one_time_keys_json' },
    { kind: 'TABLE DATA', table: 'access_tokens' },
  ]);
});

test('pg_dump and pg_restore never get the password in argv; the one-time keys data is left out', () => {
  const a = { host: '127.0.0.1', port: 5432, user: 'synapse_user', password: 'S3cret-pass', dbname: 'synapse' };
  const dump = pgDumpArgv(a, '/backups/s.dump', '00000003-0000001B-1');
  assert.deepEqual(dump, ['pg_dump', '-Fc', '-h', '127.0.0.1', '-p', '5432', '-U', 'synapse_user', '-w', '--exclude-table-data=public.e2e_one_time_keys_json', '--snapshot=00000003-0000001B-1', '-f', '/backups/s.dump', 'synapse']);
  const restore = pgRestoreArgv(a, 'synapse_restored', '/backups/s.dump');
  assert.ok(![...dump, ...restore].some((x) => x.includes('S3cret')));
  assert.deepEqual(restore.slice(-4), ['--exit-on-error', '-d', 'synapse_restored', '/backups/s.dump']);
});

test('row count differences name the table and both counts', () => {
  assert.deepEqual(countDifferences({ events: 120, rooms: 3, users: 2 }, { events: 119, rooms: 3, extra: 1 }), [
    'events: 120 in the backup, 119 restored',
    'users: missing',
    'extra: not in the backup',
  ]);
});

test('--before takes a date, an ISO time, epoch milliseconds or days ago, and refuses the rest', () => {
  const now = Date.parse('2026-11-22T07:00:00Z');
  assert.equal(parseBefore('2024-01-31', now), Date.parse('2024-01-31T00:00:00Z'));
  assert.equal(parseBefore('2024-01-31T12:30:00Z', now), Date.parse('2024-01-31T12:30:00Z'));
  assert.equal(parseBefore('1700000000000', now), 1_700_000_000_000);
  assert.equal(parseBefore('90d', now), now - 90 * 86_400_000);
  assert.throws(() => parseBefore('last tuesday', now), /is not a date/);
  assert.throws(() => parseBefore('2030-01-01', now), /in the future/);
});

test('maintain TASK picks the steps; an unknown task is refused with the list', () => {
  const opts = (argv: string[]) => maintainOptions(parseCommandLine(['maintain', ...argv]));
  assert.equal(opts([]).task, 'report');
  assert.deepEqual(maintainSteps('purge', false).map((s) => s.id), ['connect', 'admin-token', 'purge-scope', 'offer-backup', 'purge']);
  assert.deepEqual(maintainSteps('vacuum', true).map((s) => s.id), ['connect', 'offer-backup', 'vacuum-full']);
  assert.deepEqual(maintainSteps('restore', false).map((s) => s.id), ['connect', 'superuser', 'restore-target', 'restore']);
  assert.deepEqual(opts(['purge', '--room', '!a:x', '--room', '!b:x', '--delete-local-events']).rooms, ['!a:x', '!b:x']);
  assert.throws(() => opts(['shrink']), /maintain does not know "shrink"/);
  assert.throws(() => opts(['report', '--top', '0']), /--top "0"/);
});

test('the Admin API is found on the client listener, on loopback when it binds everywhere', () => {
  assert.equal(clientBaseUrl({ listeners: [{ port: 8448, type: 'http', resources: [{ names: ['federation'] }] }, { port: 8008, type: 'http', bind_addresses: ['::1', '127.0.0.1'], resources: [{ names: ['client', 'federation'] }] }] }), 'http://[::1]:8008');
  assert.equal(clientBaseUrl({ listeners: [{ port: 8008, bind_addresses: ['0.0.0.0'], resources: [{ names: ['client'] }] }] }), 'http://127.0.0.1:8008');
  assert.equal(clientBaseUrl({ listeners: [{ port: 9000, type: 'metrics' }] }), undefined);
});

test('sizes and hosts in the admin\'s words', () => {
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(3 * 1024 ** 3), '3.0 GiB');
  assert.ok(isLocalHost('localhost') && isLocalHost('127.0.0.1') && isLocalHost('/var/run/postgresql') && !isLocalHost('db.example.org'));
});

test('the compressor hint says truthfully that Debian does not package it, and how to build it', () => {
  assert.match(INSTALL_HINT, /not packaged in Debian/);
  assert.match(INSTALL_HINT, /cargo install --git https:\/\/github\.com\/matrix-org\/rust-synapse-compress-state synapse_auto_compressor/);
});
