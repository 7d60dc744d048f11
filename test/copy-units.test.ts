// The copy engine's conversion of SQLite values, as synapse_port_db converts them (_convert_rows), and the driver's answer when
// the Python it runs has no synapse_port_db to read rules from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createExecutor } from '../src/adapters/exec.js';
import { columnKind, rowToLine, type ColumnPlan } from '../src/cutover/copy/convert.js';
import { CopyEngineUnsupported, runDriver } from '../src/cutover/copy/driver.js';

const plan = (kinds: ColumnPlan['kinds']): ColumnPlan => ({ names: kinds.map((_, i) => `c${i}`), kinds });
const line = (row: unknown[], kinds: ColumnPlan['kinds']) => rowToLine(row, plan(kinds), 't', 1n, () => false);

test('booleans follow Python truthiness, as bool(col) in the script: NULL and 0 and "" are false', () => {
  assert.equal(line([0n, 1n, 2n, null, '', 'x', 0, 0.5, Buffer.alloc(0), Buffer.from([0])], Array(10).fill('bool')), 'f\tt\tt\tf\tf\tt\tf\tt\tf\tt\n');
});

test('text is escaped for COPY, BLOBs become bytea, NULL is \\N, big integers keep every digit', () => {
  assert.equal(line(['a\\b\tc\nd\re', Buffer.from([0xff, 0x00, 0x0a]), null, 9007199254740993n], ['text', 'bytea', 'text', 'int']), 'a\\\\b\\tc\\nd\\re\t\\\\xff000a\t\\N\t9007199254740993\n');
});

test('a float stored in an integer column rounds half to even, as PostgreSQL casts it', () => {
  assert.equal(line([2.5, 3.5, -2.5, 7], ['int', 'int', 'int', 'int']), '2\t4\t-2\t7\n');
  assert.equal(line([2.5], ['float']), '2.5\n');
});

test('a string with a NUL drops the row (the script drops it too), naming the column; a BLOB where PostgreSQL keeps text stops', () => {
  assert.deepEqual(line(['ok', 'a\u0000b'], ['text', 'text']), { dropped: 'c1' });
  assert.equal(line(['a\u0000b'], ['bool']), 't\n', 'a boolean column is converted before the NUL check, as in the script');
  assert.throws(() => line([Buffer.from('x')], ['text']), /holds a BLOB where PostgreSQL stores text/);
});

test('U+FFFD that stands for bytes that are not UTF-8 stops the port; a real U+FFFD is text', () => {
  assert.equal(rowToLine(['a\uFFFDb'], plan(['text']), 't', 7n, () => false), 'a\uFFFDb\n');
  assert.throws(() => rowToLine(['a\uFFFDb'], plan(['text']), 'user_ips', 7n, () => true), /Table user_ips, column c0, rowid 7 holds bytes that are not UTF-8/);
});

test('PostgreSQL types map to conversions; a boolean column of the script wins over the type', () => {
  assert.equal(columnKind('bigint', false), 'int');
  assert.equal(columnKind('double precision', false), 'float');
  assert.equal(columnKind('bytea', false), 'bytea');
  assert.equal(columnKind('text', false), 'text');
  assert.equal(columnKind('boolean', true), 'bool');
  assert.equal(columnKind('integer', true), 'bool');
});

test('a Python without synapse_port_db: the driver says what is missing, so the cutover can use port-db', async () => {
  const exec = createExecutor({ kind: 'local' });
  await assert.rejects(runDriver({ exec, python: 'python3', mode: 'rules', sqlite: '-', postgresConfig: '-' }), (e: unknown) => {
    assert.ok(e instanceof CopyEngineUnsupported, String(e));
    assert.match(e.lacking, /cannot import synapse\._scripts\.synapse_port_db/);
    assert.match(e.hint ?? '', /--engine port-db/);
    return true;
  });
});
