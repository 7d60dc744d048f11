// --service docker:CONTAINER against the real engine: `docker inspect` gives the mounts, the published port, the bridge's gateway and
// network; the cutover's preflight probes Synapse's tools in the container; a stopped container's commands run in a throwaway one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createExecutor } from '../src/adapters/exec.js';
import { containerExecTarget, hostAddressFromContainer, containerNetworks, inspectContainer, publishedBaseUrl } from '../src/synapse/container.js';
import { startCluster, type Cluster } from './helpers/cluster.js';
import { startComposeHomeserver, type ComposeHomeserver } from './helpers/docker.js';
import { describeRun, runWizard } from './cutover-helpers.js';

let hs: ComposeHomeserver;
let pg: Cluster;
let name: string;

before(async () => {
  hs = await startComposeHomeserver();
  pg = await startCluster({ extraConf: `listen_addresses = '127.0.0.1,${hs.gateway}'` });
  name = hs.compose('ps', '--format', '{{.Name}}', 'synapse').trim();
});

after(() => {
  hs?.down();
  pg?.stop();
});

test('docker inspect gives the path map, the published /health URL, the gateway and the network to allow', async () => {
  const f = await inspectContainer({ kind: 'docker', container: name });
  assert.deepEqual(f.mounts.map(({ host, inside }) => ({ host, inside })), [{ host: hs.dataDir, inside: '/data' }]);
  assert.equal(publishedBaseUrl(f, 8008), hs.baseUrl);
  assert.equal(hostAddressFromContainer(f), hs.gateway);
  assert.deepEqual(containerNetworks(f), [hs.subnet]);
  assert.equal(f.env.UID, '991', 'the image\'s environment is the container\'s');
  assert.deepEqual(containerExecTarget(f), { kind: 'docker', container: name });
});

test('cutover --dry-run with --service docker:CONTAINER probes the tools in the container and plans the bridge network in pg_hba.conf', { timeout: 120_000 }, async () => {
  const run = await runWizard(['cutover', '--dry-run', '--json', '-c', hs.configPath, '--service', `docker:${name}`, '--db-port', String(pg.port)], undefined, { ...pg.env, HOME: hs.dir });
  assert.equal(run.code, 0, describeRun(run));
  const text = JSON.stringify(run.events);
  assert.match(text, new RegExp(`Synapse's tools: Synapse \\S+ \\(schema \\d+\\) in docker exec -i ${name}`));
  assert.match(text, new RegExp(`host\\s+synapse\\s+synapse_user\\s+${hs.subnet.replace(/\./g, '\\.')}\\s+scram-sha-256`));
  // Synapse in the container will reach PostgreSQL at the host's address on its bridge
  const plan = run.events.find((e) => e.event === 'plan' && e.id === 'postgres-config') as { actions: { diff?: string }[] } | undefined;
  assert.ok(plan?.actions[0]?.diff?.includes(`+    host: "${hs.gateway}"\n+    port: ${pg.port}\n`), JSON.stringify(plan));
});

test('a stopped container: its commands run in a throwaway container with its volumes, and it stays stopped', { timeout: 60_000 }, async () => {
  hs.compose('stop', 'synapse');
  const exec = createExecutor({ kind: 'docker', container: name }, [{ host: hs.dataDir, inside: '/data' }]);
  const r = await exec.run(['sh', '-c', 'ls /data && id -u']);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stdout, /homeserver\.yaml/);
  assert.match(r.argv.join(' '), new RegExp(`docker run --rm -i --volumes-from ${name} --network \\S+ --entrypoint sh`));
  assert.equal(hs.compose('ps', '--status', 'running', '--services').trim(), '');
});
