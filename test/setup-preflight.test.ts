// Setup changes nothing when it cannot finish: preflight sees, before the first change, a config Synapse's YAML loader (PyYAML)
// rejects, an anchor inside database:, a port nothing listens on, an immutable or read-only config, a full disk. A failure that
// comes later (the disk fills mid-run) undoes the role, the database and the password file the run created.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startCluster, type Cluster } from './helpers/cluster.js';
import { runCli, type CliResult } from './helpers/cli.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'generated', 'homeserver.yaml');
const mounts: string[] = [];
const dirs: string[] = [];
after(() => {
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function newDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'spgw-preflight-'));
  dirs.push(d);
  return d;
}

/** A small tmpfs of its own (a full disk, a read-only file system), unmounted after the tests. */
function tmpfs(size: string): string {
  const d = newDir();
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', d]);
  mounts.push(d);
  return d;
}

function writeConfig(dir: string, extra = ''): string {
  const p = join(dir, 'homeserver.yaml');
  writeFileSync(p, readFileSync(FIXTURE, 'utf8').replaceAll('/tmp/gen', dir) + extra, { mode: 0o640 });
  return p;
}

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const tree = (d: string) => readdirSync(d).sort().join(',');

function nothingCreated(c: Cluster, r: CliResult, name: string) {
  assert.equal(c.psql(`SELECT count(*) FROM pg_roles WHERE rolname = 'synapse_user'`), '0', `${name}: no role: ${r.stdout}`);
  assert.equal(c.psql(`SELECT count(*) FROM pg_database WHERE datname = 'synapse'`), '0', `${name}: no database`);
}

const setup = (c: Cluster, cfg: string, ...more: string[]) => runCli(['setup', '--yes', '--json', '-c', cfg, '--db-port', String(c.port), ...more], { env: c.env, timeoutMs: 120_000 });

test('setup preflight: everything knowable is refused before the first change, and nothing is created', async () => {
  const c = await startCluster();
  try {
    const cases: { name: string; make: () => { cfg: string; dir: string; undo?: () => void; more?: string[] }; re: RegExp }[] = [
      {
        name: 'PyYAML rejects the file',
        make: () => {
          const dir = newDir();
          return { dir, cfg: writeConfig(dir, "\nexperimental: !!python/object/apply:os.system ['true']\n") };
        },
        re: /Synapse's YAML loader \(PyYAML safe_load\) rejects .*homeserver\.yaml: could not determine a constructor for the tag/,
      },
      {
        name: 'anchor in database:',
        make: () => {
          const dir = newDir();
          const cfg = writeConfig(dir);
          writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(/^database:\n {2}name: sqlite3\n {2}args:\n/m, 'database:\n  name: sqlite3\n  args: &dbargs\n') + 'other_args: *dbargs\n');
          return { dir, cfg };
        },
        re: /The database: section of .* uses YAML anchor &dbargs; rewriting it would change or break what refers to them/,
      },
      {
        name: 'nothing listens on the port',
        make: () => {
          const dir = newDir();
          return { dir, cfg: writeConfig(dir), more: ['--db-host', '127.0.0.1'] };
        },
        re: /Nothing answers on 127\.0\.0\.1:\d+, where Synapse will connect \(ECONNREFUSED\)/,
      },
      {
        name: 'immutable config',
        make: () => {
          const dir = newDir();
          const cfg = writeConfig(dir);
          execFileSync('chattr', ['+i', cfg]);
          return { dir, cfg, undo: () => execFileSync('chattr', ['-i', cfg]) };
        },
        re: /homeserver\.yaml is immutable \(chattr \+i\): it cannot be written, not even by root/,
      },
      {
        name: 'read-only file system',
        make: () => {
          const dir = tmpfs('1m');
          const cfg = writeConfig(dir);
          execFileSync('mount', ['-o', 'remount,ro', dir]);
          return { dir, cfg };
        },
        re: /homeserver\.yaml cannot be written by this user, or its file system is read-only/,
      },
      {
        name: 'full disk',
        make: () => {
          const dir = tmpfs('256k');
          const cfg = writeConfig(dir);
          spawnSync('dd', ['if=/dev/zero', `of=${join(dir, 'filler')}`, 'bs=4k', 'count=1000'], { stdio: 'ignore' });
          return { dir, cfg };
        },
        re: /Only \d+ bytes are free where the Synapse config .* is written; the edit needs \d+/,
      },
    ];
    for (const k of cases) {
      const { cfg, dir, undo, more = [] } = k.make();
      const before = { cfg: sha(cfg), tree: tree(dir) };
      let r: CliResult;
      try {
        const port = k.name === 'nothing listens on the port' ? ['--db-port', String(await freePort())] : [];
        r = await runCli(['setup', '--yes', '--json', '-c', cfg, '--db-port', String(c.port), ...more, ...port], { env: c.env, timeoutMs: 120_000 });
      } finally {
        undo?.();
      }
      assert.equal(r.code, 1, `${k.name}: ${r.stdout}`);
      const last = r.events.at(-1)!;
      assert.match(String(last.message), /^Nothing was changed: /, `${k.name}: ${r.stdout}`);
      assert.match(String(last.message), k.re, k.name);
      assert.ok(!r.events.some((e) => e.event === 'step-apply'), `${k.name}: no step applied`);
      nothingCreated(c, r, k.name);
      assert.deepEqual({ cfg: sha(cfg), tree: tree(dir) }, before, `${k.name}: no file changed, no password file`);
    }
  } finally {
    c.stop();
  }
});

test('setup: a failure after the role and the database were made (the disk fills mid-run) undoes them and the password file', async () => {
  const c = await startCluster();
  try {
    const dir = tmpfs('512k');
    mkdirSync(join(dir, 'conf'));
    const cfg = writeConfig(join(dir, 'conf'));
    const before = sha(cfg);
    let filled = false;
    const r = await runCli(['setup', '--yes', '--json', '-c', cfg, '--db-port', String(c.port)], {
      env: c.env,
      timeoutMs: 120_000,
      onLine: (line) => {
        // right after the database is created, the disk fills: the config can no longer be written
        if (!filled && line.includes('"event":"step"') && line.includes('"id":"create-database"') && line.includes('"status":"applied"')) {
          filled = true;
          spawnSync('dd', ['if=/dev/zero', `of=${join(dir, 'filler')}`, 'bs=4k', 'count=1000'], { stdio: 'ignore' });
        }
      },
    });
    assert.ok(filled, r.stdout);
    assert.equal(r.code, 1, r.stdout);
    const last = r.events.at(-1)!;
    assert.match(String(last.message), /Undone: dropped database synapse, dropped role synapse_user, removed password file .*\.synapse-pg\/db-password\./, r.stdout);
    nothingCreated(c, r, 'after the undo');
    assert.ok(!existsSync(join(dir, 'conf', '.synapse-pg', 'db-password')), 'the generated password file is gone');
    assert.equal(sha(cfg), before, 'the config is as it was');

    // the rerun, with room again, finishes the job from scratch
    rmSync(join(dir, 'filler'));
    const again = await setup(c, cfg);
    assert.equal(again.code, 0, again.stdout);
    assert.equal(c.psql(`SELECT count(*) FROM pg_database WHERE datname = 'synapse'`), '1');
  } finally {
    c.stop();
  }
});
