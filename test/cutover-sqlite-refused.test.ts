// Cutover's preflight refuses an SQLite file that is empty, not SQLite at all, or SQLite without Synapse's tables, before any change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startCluster } from './helpers/cluster.js';
import { runCli } from './helpers/cli.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'generated', 'homeserver.yaml');
const digest = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

test('cutover preflight: an empty file, a text file and a non-Synapse SQLite file are refused, nothing changed', async () => {
  const c = await startCluster();
  const dir = mkdtempSync(join(tmpdir(), 'spgw-sqlite-refused-'));
  try {
    const cfg = join(dir, 'homeserver.yaml');
    writeFileSync(cfg, readFileSync(FIXTURE, 'utf8').replaceAll('/tmp/gen', dir), { mode: 0o640 });
    const db = join(dir, 'homeserver.db');
    const cases: [string, () => void, RegExp][] = [
      ['empty', () => writeFileSync(db, ''), /is not a Synapse database: the file is empty \(0 bytes\)/],
      ['text', () => writeFileSync(db, 'hello, not a database\n'.repeat(100)), /is not a Synapse database: it cannot be (opened|read) as SQLite/],
      ['other sqlite', () => {
        rmSync(db, { force: true });
        const d = new Database(db);
        d.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES (\'x\')');
        d.close();
      }, /is not a Synapse database: it is an SQLite file without Synapse's tables \(schema_version, users, events, rooms missing\)/],
    ];
    for (const [name, make, re] of cases) {
      make();
      const before = { cfg: digest(cfg), db: digest(db), files: readdirSync(dir).filter((f) => f !== '.synapse-pg').sort() };
      const dbsBefore = c.psql('SELECT string_agg(datname, \',\' ORDER BY datname) FROM pg_database');
      const r = await runCli(['cutover', '--yes', '--json', '-c', cfg, '--db-port', String(c.port)], { env: c.env, timeoutMs: 120_000 });
      assert.equal(r.code, 1, `${name}: ${r.stdout}`);
      assert.match(r.stdout, re, name);
      // .synapse-pg/ is the wizard's own state directory (its lock and journal), made before preflight
      assert.deepEqual({ cfg: digest(cfg), db: digest(db), files: readdirSync(dir).filter((f) => f !== '.synapse-pg').sort() }, before, `${name}: no file changed or added`);
      assert.equal(c.psql('SELECT string_agg(datname, \',\' ORDER BY datname) FROM pg_database'), dbsBefore, `${name}: no database created`);
      assert.equal(c.psql(`SELECT count(*) FROM pg_roles WHERE rolname = 'synapse_user'`), '0', `${name}: no role created`);
    }
  } finally {
    c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("cutover preflight: a config Synapse's YAML loader rejects, and an immutable config, are refused before any change", async () => {
  const c = await startCluster();
  const dir = mkdtempSync(join(tmpdir(), 'spgw-cutover-cfg-'));
  const cfg = join(dir, 'homeserver.yaml');
  try {
    const text = readFileSync(FIXTURE, 'utf8').replaceAll('/tmp/gen', dir);
    const cases: [string, () => void, RegExp, (() => void)?][] = [
      ['PyYAML rejects it', () => writeFileSync(cfg, text + "\nexperimental: !!python/object/apply:os.system ['true']\n"), /Synapse's YAML loader \(PyYAML safe_load\) rejects .*homeserver\.yaml: could not determine a constructor for the tag/],
      ['immutable', () => {
        writeFileSync(cfg, text);
        execFileSync('chattr', ['+i', cfg]);
      }, /homeserver\.yaml is immutable \(chattr \+i\)/, () => execFileSync('chattr', ['-i', cfg])],
    ];
    for (const [name, make, re, undo] of cases) {
      make();
      const before = digest(cfg);
      try {
        const r = await runCli(['cutover', '--yes', '--json', '-c', cfg, '--db-port', String(c.port)], { env: c.env, timeoutMs: 120_000 });
        assert.equal(r.code, 1, `${name}: ${r.stdout}`);
        assert.match(r.stdout, re, name);
        assert.equal(digest(cfg), before, `${name}: the config is untouched`);
        assert.equal(c.psql(`SELECT count(*) FROM pg_roles WHERE rolname = 'synapse_user'`), '0', `${name}: no role created`);
      } finally {
        undo?.();
      }
    }
  } finally {
    c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
