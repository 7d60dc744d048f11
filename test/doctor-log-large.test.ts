// doctor --log on a 140,000-line Synapse log: read as a stream in bounded memory, no "Maximum call stack size exceeded",
// and the few lines that matter among the routine ones are still found.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { readLogLines } from '../src/doctor/log-lines.js';
import { runCli } from './helpers/cli.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'generated', 'homeserver.yaml');

test('doctor --log reads a 140,000-line log without recursion and finds the errors in it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spgw-biglog-'));
  try {
    const log = join(dir, 'homeserver.log');
    const out = createWriteStream(log);
    for (let i = 0; i < 140_000; i++) {
      const line = i === 70_000
        ? `2026-12-01 10:00:00,000 - synapse.storage - 123 - ERROR - main - Postgres sequence 'events_stream_seq' is inconsistent with associated stream position of 'events' in the 'stream_positions' table.`
        : i % 1000 === 7
          ? `DROPPING ROW: NUL value in table event_json col json: {"x": ${i}}`
          : `2026-12-01 10:00:00,${String(i % 1000).padStart(3, '0')} - synapse.access.http.8008 - 400 - INFO - GET-${i} - 127.0.0.1 - 8008 - {@u:x} Processed request: 0.001sec/0.000sec (0.000sec, 0.000sec) (0.000sec/0.000sec/0) 2B 200 "GET /_matrix/client/v3/sync HTTP/1.1" "client" [0 dbevts]`;
      if (!out.write(line + '\n')) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');

    const heap0 = process.memoryUsage().heapUsed;
    const r = await readLogLines(log);
    assert.equal(r.total, 140_000);
    assert.ok(r.lines.length <= 1_000 + 141, `kept ${r.lines.length} lines`);
    assert.ok(process.memoryUsage().heapUsed - heap0 < 64 * 1024 * 1024, 'bounded memory');

    const cfg = join(dir, 'homeserver.yaml');
    writeFileSync(cfg, readFileSync(FIXTURE, 'utf8').replaceAll('/tmp/gen', dir));
    const d = await runCli(['doctor', '--json', '-c', cfg, '--log', log], { timeoutMs: 120_000 });
    assert.ok(!/Maximum call stack size exceeded/.test(d.stdout + d.stderr), d.stdout + d.stderr);
    const ids = d.events.filter((e) => e.event === 'finding').map((e) => e.id);
    assert.ok(ids.includes('stream-positions'), JSON.stringify(ids));
    const dropped = d.events.find((e) => e.event === 'finding' && e.id === 'port-dropped-rows');
    assert.match(String(dropped?.evidence), /The port dropped 140 row\(s\) of event_json\.json/);
    assert.equal(d.code, 1, d.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
