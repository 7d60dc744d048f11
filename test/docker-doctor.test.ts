// The doctor's compose findings against the real engine: PostgreSQL on the host listening only on 127.0.0.1 (listen_addresses and the
// pg_hba line for the container's bridge network, proven by psycopg2 in the container), the data directory owned by root (given back
// to 991, proven by a write probe as 991 in the container), and a log config missing from the volume (written, owned by 991). Each
// time the container then starts and answers /health.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { startCluster, type Cluster } from './helpers/cluster.js';
import { startComposeHomeserver, type ComposeHomeserver } from './helpers/docker.js';
import { describeRun, runWizard, type WizardRun } from './cutover-helpers.js';

const cleanup: (() => void)[] = [];
after(() => {
  for (const c of cleanup.reverse()) c();
});

const doctor = (hs: ComposeHomeserver, pg: Cluster): Promise<WizardRun> =>
  runWizard(['doctor', '--yes', '--json', '-c', hs.configPath, '--service', `compose:${hs.composeFile}:synapse`, '--db-port', String(pg.port)], undefined, { ...pg.env, HOME: hs.dir });
const findings = (run: WizardRun) => Object.fromEntries(run.events.filter((e) => e.event === 'finding').map((e) => [String(e.id), e]));

test('PostgreSQL only on 127.0.0.1: the doctor adds the bridge to listen_addresses and its network to pg_hba.conf; Synapse in the container connects', { timeout: 240_000 }, async (t) => {
  const hs = await startComposeHomeserver();
  cleanup.push(() => hs.down());
  const pg = await startCluster();
  cleanup.push(() => pg.stop());
  // set up as the usual guide does it on the host: a role, a database, and Synapse pointed at the host's bridge address
  const password = randomBytes(12).toString('hex');
  pg.psql(`CREATE ROLE synapse_user LOGIN PASSWORD '${password}'`);
  pg.psql(`CREATE DATABASE synapse OWNER synapse_user ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
  const doc = parseDocument(readFileSync(hs.configPath, 'utf8'));
  doc.set('database', { name: 'psycopg2', args: { user: 'synapse_user', password, dbname: 'synapse', host: hs.gateway, port: pg.port, cp_min: 1, cp_max: 5 } });
  writeFileSync(hs.configPath, doc.toString());
  hs.compose('restart', 'synapse');
  assert.equal(await hs.waitHealthy(8_000), false, 'Synapse cannot reach PostgreSQL yet');

  const run = await doctor(hs, pg);
  t.diagnostic(`doctor ${(run.ms / 1000).toFixed(1)} s`);
  const f = findings(run);
  assert.ok(f['docker-network'], describeRun(run));
  assert.equal(f['docker-network']!.fixed, true, describeRun(run));
  assert.match(String(f['docker-network']!.evidence), new RegExp(hs.subnet.replace(/\./g, '\\.')));
  const listen = pg.psql(`SELECT current_setting('listen_addresses')`);
  assert.ok(listen.split(',').map((s) => s.trim()).includes(hs.gateway), listen);
  assert.match(readFileSync(pg.hbaFile, 'utf8'), new RegExp(`^host\\s+synapse\\s+synapse_user\\s+${hs.subnet.replace(/\./g, '\\.')}\\s+scram-sha-256`, 'm'));
  // the fix was proven from inside the container
  const applied = run.events.filter((e) => e.event === 'step' || e.event === 'log').map((e) => String(e.message)).join('\n');
  assert.match(applied, /psycopg2 in Synapse's container logged in to .* \(PostgreSQL saw it from \d+\.\d+\.\d+\.\d+\)/);

  hs.compose('start', 'synapse');
  assert.ok(await hs.waitHealthy(60_000), hs.compose('logs', '--tail', '20', 'synapse'));
  const seen = pg.psql(`SELECT DISTINCT host(client_addr) FROM pg_stat_activity WHERE usename = 'synapse_user'`);
  assert.ok(seen.split('\n').some((a) => a.startsWith(hs.subnet.split('.').slice(0, 2).join('.') + '.')), `Synapse's sessions come from ${seen}`);
});

test('data owned by root: the doctor gives it back to 991, proven by a write probe as 991 in the container; Synapse then starts', { timeout: 240_000 }, async (t) => {
  const hs = await startComposeHomeserver();
  cleanup.push(() => hs.down());
  const pg = await startCluster();
  cleanup.push(() => pg.stop());
  hs.compose('stop', 'synapse');
  execFileSync('chown', ['-R', 'root:root', hs.dataDir]);
  execFileSync('chmod', ['-R', 'go-w', hs.dataDir]);
  hs.compose('start', 'synapse');
  assert.equal(await hs.waitHealthy(8_000), false, 'Synapse cannot write its data as 991');

  const run = await doctor(hs, pg);
  t.diagnostic(`doctor ${(run.ms / 1000).toFixed(1)} s`);
  const f = findings(run)['compose-data-ownership'];
  assert.ok(f, describeRun(run));
  assert.equal(f.fixed, true, describeRun(run));
  assert.match(String(f.evidence), /owner 0:0/);
  const proof = run.events.filter((e) => e.event === 'step' || e.event === 'log').map((e) => String(e.message)).join('\n');
  assert.match(proof, /write probe as 991:991 \(docker compose -f \S+ (exec|run) .*-u 991:991/);
  assert.equal(statSync(join(hs.dataDir, 'homeserver.yaml')).uid, 991);

  hs.compose('start', 'synapse');
  assert.ok(await hs.waitHealthy(60_000), hs.compose('logs', '--tail', '20', 'synapse'));
});

test('a log config that is not there (its directory missing in the volume): written by the doctor on the host path, owned by 991; Synapse then starts', { timeout: 240_000 }, async (t) => {
  const hs = await startComposeHomeserver();
  cleanup.push(() => hs.down());
  const pg = await startCluster();
  cleanup.push(() => pg.stop());
  const doc = parseDocument(readFileSync(hs.configPath, 'utf8'));
  doc.set('log_config', '/data/logs/log.config');
  writeFileSync(hs.configPath, doc.toString());
  hs.compose('restart', 'synapse');
  assert.equal(await hs.waitHealthy(8_000), false, 'Synapse cannot write a default log config into a directory that does not exist');

  const run = await doctor(hs, pg);
  t.diagnostic(`doctor ${(run.ms / 1000).toFixed(1)} s`);
  const f = findings(run)['log-config-missing'];
  assert.ok(f, describeRun(run));
  assert.equal(f.fixed, true, describeRun(run));
  const written = join(hs.dataDir, 'logs', 'log.config');
  assert.equal(statSync(written).uid, 991);
  assert.match(readFileSync(written, 'utf8'), /synapse\.storage\.SQL:\n\s+level: INFO/);

  if (hs.compose('ps', '--status', 'running', '--services').trim() !== 'synapse') hs.compose('start', 'synapse');
  assert.ok(await hs.waitHealthy(60_000), hs.compose('logs', '--tail', '20', 'synapse'));
  // Synapse reads it inside the container: its log goes to the console, as the written config says
  assert.match(hs.compose('logs', '--no-color', '--tail', '200', 'synapse'), / - synapse\.\S+ - \d+ - INFO - /);
});
