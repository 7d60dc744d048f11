import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createExecutor, parseExecTarget, parsePathMap, runArgv } from '../src/adapters/exec.js';

test('runArgv returns one result shape for success, failure and a missing program', async () => {
  const ok = await runArgv(['sh', '-c', 'echo hi; echo err >&2']);
  assert.equal(ok.exitCode, 0);
  assert.equal(ok.stdout, 'hi\n');
  assert.equal(ok.stderr, 'err\n');
  const bad = await runArgv(['sh', '-c', 'exit 3']);
  assert.equal(bad.exitCode, 3);
  assert.equal(bad.failed, true);
  const missing = await runArgv(['/nonexistent/program']);
  assert.equal(missing.failed, true);
  assert.ok(missing.spawnError, 'a program that cannot start is reported as such');
});

test('stdin carries input and lines stream as they come', async () => {
  const lines: string[] = [];
  const r = await runArgv(['cat'], { input: 'a\nb\nc', onLine: (l) => lines.push(l) });
  assert.equal(r.stdout, 'a\nb\nc');
  assert.deepEqual(lines, ['a', 'b', 'c']);
});

test('runuser prefix runs as the postgres OS user', async () => {
  const ex = createExecutor(parseExecTarget('user:postgres', '--x'));
  const r = await ex.run(['id', '-un']);
  assert.equal(r.stdout.trim(), 'postgres');
});

test('chroot target maps host paths to inside paths and back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spgw-exec-'));
  writeFileSync(join(dir, 'x'), '');
  const ex = createExecutor(parseExecTarget(`chroot:${dir}/`, '--synapse-exec'), parsePathMap(['/srv/data=/data']));
  assert.deepEqual(ex.wrap(['ls']), ['chroot', dir, 'ls']);
  assert.equal(ex.toInside(`${dir}/var/lib/x.db`), '/var/lib/x.db');
  assert.equal(ex.toInside('/srv/data/homeserver.db'), '/data/homeserver.db');
  assert.equal(ex.toHost('/data/a'), '/srv/data/a');
  assert.equal(ex.toHost('/etc/a'), `${dir}/etc/a`);
  assert.throws(() => parsePathMap(['nonsense']), /HOST=INSIDE/);
  assert.throws(() => parseExecTarget('podman:x', '--synapse-exec'), /not understood/);
});
