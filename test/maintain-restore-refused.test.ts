// maintain restore of a file that is no backup: refused before any database is made, so nothing is left behind and a rerun
// with the right file is not blocked by an empty database of the first try.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setDatabaseSection } from '../src/config/database-block.js';
import { startCluster } from './helpers/cluster.js';
import { runCli } from './helpers/cli.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'generated', 'homeserver.yaml');

test('maintain restore: a text file, an empty file and a plain SQL dump are refused; no database is created', async () => {
  const c = await startCluster();
  const dir = mkdtempSync(join(tmpdir(), 'spgw-restore-refused-'));
  try {
    const password = 'S' + randomBytes(12).toString('base64url');
    c.psql(`CREATE ROLE synapse_user LOGIN PASSWORD '${password}'; CREATE DATABASE synapse OWNER synapse_user TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C';`);
    c.psql('CREATE TABLE t (id int); INSERT INTO t VALUES (1); ALTER TABLE t OWNER TO synapse_user;', 'synapse');
    const cfg = join(dir, 'homeserver.yaml');
    writeFileSync(cfg, setDatabaseSection(readFileSync(FIXTURE, 'utf8').replaceAll('/tmp/gen', dir), { name: 'psycopg2', args: { user: 'synapse_user', password, dbname: 'synapse', host: 'localhost', port: c.port } }), { mode: 0o640 });
    const files: Record<string, string> = { text: 'this is not a backup\n', empty: '', 'plain sql': '-- PostgreSQL database dump\nCREATE TABLE x (id int);\n' };
    const dbs = () => c.psql(`SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database`);
    const before = dbs();
    for (const [name, content] of Object.entries(files)) {
      const f = join(dir, `${name.replace(' ', '-')}.dump`);
      writeFileSync(f, content);
      const r = await runCli(['maintain', 'restore', '--yes', '--json', '-c', cfg, '--backup-file', f, '--restore-db', 'synapse_restored', '--pg-admin', 'local'], { env: c.env, timeoutMs: 120_000 });
      assert.equal(r.code, 1, `${name}: ${r.stdout}`);
      assert.match(r.stdout, /is not a backup pg_restore can read: .*Nothing was created\./, name);
      assert.equal(dbs(), before, `${name}: no database was created`);
    }
  } finally {
    c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
