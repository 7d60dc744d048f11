// Setup killed with SIGKILL at the start of every step (each lasts well under a second), then run again: the rerun
// finishes, Synapse's role logs in exactly as configured, pg_hba.conf is whole and the config holds one database block.
// Real throwaway PostgreSQL clusters with a RHEL-style pg_hba.conf, so that every step has something to change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { HBA_RHEL_IDENT, loginAs, startCluster } from './helpers/cluster.js';
import { runCli } from './helpers/cli.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'generated', 'homeserver.yaml');
const STEPS = ['find-config', 'pg-admin', 'create-role', 'create-database', 'pg-hba', 'database-config'];

for (const step of STEPS) {
  test(`setup killed at the start of ${step}: the rerun finishes and Synapse's role logs in as configured`, { timeout: 120_000 }, async () => {
    const c = await startCluster({ hba: HBA_RHEL_IDENT });
    try {
      const dir = mkdtempSync(join(tmpdir(), 'spgw-setup-kill-'));
      const cfgPath = join(dir, 'homeserver.yaml');
      const original = readFileSync(FIXTURE, 'utf8').replaceAll('/tmp/gen', dir);
      writeFileSync(cfgPath, original, { mode: 0o640 });
      const password = 'K' + randomBytes(18).toString('base64url');
      const pwFile = join(dir, 'db-password');
      writeFileSync(pwFile, password + '\n', { mode: 0o600 });
      const args = ['setup', '--yes', '--json', '-c', cfgPath, '--db-port', String(c.port), '--db-host', '127.0.0.1', '--db-password-file', pwFile];
      let killed = false;
      const first = await runCli(args, {
        env: c.env,
        onLine: (line, child) => {
          if (killed || !line.startsWith('{')) return;
          const e = JSON.parse(line) as { event: string; id?: string };
          if (e.event === 'step-start' && e.id === step) {
            killed = true;
            child.kill('SIGKILL');
          }
        },
      });
      assert.ok(killed, `never reached ${step}: ${first.stdout}`);
      assert.equal(first.code, null, `the first run ended before the kill: ${first.stdout}`);
      // Whatever the kill left, the config is a whole YAML file: the old one, or the new one.
      assert.doesNotThrow(() => parse(readFileSync(cfgPath, 'utf8')), 'the config is whole after the kill');

      const second = await runCli(args, { env: c.env });
      assert.equal(second.code, 0, second.stdout + second.stderr);
      const cfg = parse(readFileSync(cfgPath, 'utf8')) as { database: { name: string; args: Record<string, unknown> } };
      assert.equal(cfg.database.name, 'psycopg2');
      assert.equal(cfg.database.args.password, password);
      assert.equal(await loginAs(c, String(cfg.database.args.host), String(cfg.database.args.user), password, String(cfg.database.args.dbname)), 'synapse_user');
      assert.equal(c.psql(`SELECT pg_encoding_to_char(encoding) || ' ' || datcollate || ' ' || datctype || ' ' || pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'synapse'`), 'UTF8 C C synapse_user');
      // pg_hba.conf: the scram line once, before the ident lines, and PostgreSQL reads the file without errors.
      const hba = readFileSync(c.hbaFile, 'utf8');
      assert.equal(c.psql(`SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL`), '0');
      assert.equal(hba.split('\n').filter((l) => /^host\s+synapse\s+synapse_user\s+127\.0\.0\.1\/32\s+scram-sha-256/.test(l)).length, 1, hba);
      // One backup of the original config, whatever the number of runs.
      const backups = readdirSync(dir).filter((f) => f.startsWith('homeserver.yaml.synapse-pg-'));
      assert.ok(backups.length >= 1 && backups.every((b) => readFileSync(join(dir, b), 'utf8') === original), 'backups hold the original config');
      const third = await runCli(args, { env: c.env });
      assert.equal(third.code, 0, third.stdout);
      assert.equal(readFileSync(c.hbaFile, 'utf8'), hba, 'a third run changes nothing');
    } finally {
      c.stop();
    }
  });
}
