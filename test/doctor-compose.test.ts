// Doctor for a Docker-compose homeserver, with the real Synapse chroot standing in for the container (same exec prefix, path map from
// the compose file's bind mounts): wrong owner of the data directory, a missing log config, and an OIDC issuer signed by a private CA.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:https';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createExecutor, runArgv } from '../src/adapters/exec.js';
import type { DoctorContext } from '../src/doctor/context.js';
import { asSynapseUser, composeDeployment, parseCompose } from '../src/doctor/compose/deployment.js';
import { SANE_LOG_CONFIG } from '../src/doctor/compose/log-config.js';
import { composeOwnership } from '../src/doctor/compose/ownership.js';
import { persistCa } from '../src/doctor/compose/persist-ca.js';
import { discoveryUrl, fetchDiscovery, TRUST_DIR } from '../src/doctor/compose/oidc-ca.js';
import { generateHomeserver } from '../src/sandbox/homeserver.js';
import { health } from '../src/synapse/client.js';
import { createSynctlService } from '../src/synapse/service.js';
import { freePort } from './helpers/cluster.js';
import { BIN, runCli } from './helpers/cli.js';
import { requireSynapseChroot } from './helpers/synapse.js';

const findings = (events: Record<string, unknown>[]) => Object.fromEntries(events.filter((e) => e.event === 'finding').map((e) => [String(e.id), e.fixed as boolean]));
/** Runs argv in a pseudo-terminal; whenever the next expected text shows up, types its answer. Returns the output without escapes. */
const PTY = String.raw`
import fcntl, json, os, pty, re, select, struct, sys, termios, time
spec = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execvpe(spec['argv'][0], spec['argv'], {**os.environ, 'TERM': 'xterm', 'COLUMNS': '200', 'LINES': '50'})
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 50, 200, 0, 0))
buf, pos, todo = '', 0, spec['answers']
end = time.time() + 60
while time.time() < end:
    if select.select([fd], [], [], 0.2)[0]:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        buf += re.sub(r'\[[0-9;?]*[A-Za-z]', '', chunk.decode('utf8', 'replace'))
    if todo and todo[0][0] in buf[pos:]:
        pos = buf.index(todo[0][0], pos) + len(todo[0][0])
        # typed once the prompt has put the terminal in raw mode (the pty's termios, seen from the master)
        raw_by = time.time() + 10
        while termios.tcgetattr(fd)[3] & termios.ICANON and time.time() < raw_by:
            select.select([], [], [], 0.01)
        os.write(fd, todo.pop(0)[1].encode())
print(buf)
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
`;

/** Async on purpose: the OIDC issuer is served by this test's own event loop. */
async function inTerminal(argv: string[], answers: [string, string][]): Promise<{ code: number | undefined; screen: string }> {
  const r = await runArgv(['python3', '-c', PTY, JSON.stringify({ argv, answers })], { timeoutMs: 75_000 });
  if (r.spawnError) throw new Error(`python3 is needed to drive a pseudo-terminal (apt-get install -y python3): ${r.spawnError}`);
  return { code: r.exitCode, screen: r.stdout + r.stderr };
}

const stepMessage = (events: Record<string, unknown>[], id: string) => String(events.find((e) => e.event === 'step' && e.id === id)?.message);

test('a compose file gives the service, its user and the path map', () => {
  const text = `services:
  db:
    image: postgres:16
  matrix:
    image: example/synapse-custom:1
    environment:
      - UID=1000
    volumes:
      - ./synapse/data:/data
      - media:/media
      - type: bind
        source: /srv/certs
        target: /certs
        read_only: true
`;
  const d = parseCompose('/srv/matrix/compose.yaml', text, undefined, '/srv/matrix/synapse/data/homeserver.yaml')!;
  assert.equal(d.service, 'matrix');
  assert.deepEqual([d.uid, d.gid], [1000, 991]);
  assert.match(d.userSource, /UID=1000 \(GID 991 by default\)/);
  assert.deepEqual(d.mounts, [{ host: '/srv/matrix/synapse/data', inside: '/data', readOnly: false }, { host: '/srv/certs', inside: '/certs', readOnly: true }]);
  assert.equal(parseCompose('/srv/other/compose.yaml', text, undefined, '/srv/matrix/synapse/data/homeserver.yaml'), undefined, 'found beside the config, it must mount the config');
  const official = parseCompose('/x/docker-compose.yml', 'services:\n  synapse:\n    image: ghcr.io/element-hq/synapse:latest\n')!;
  assert.deepEqual([official.uid, official.gid], [991, 991]);
  assert.deepEqual([parseCompose('/x/c.yml', 'services:\n  s:\n    image: matrixdotorg/synapse\n    user: "1001:1002"\n')!.uid, parseCompose('/x/c.yml', 'services: [')], [1001, undefined]);

  // named with --service compose:FILE:SERVICE: that service, its mounts as the executor's path map
  const dir = mkdtempSync(join(tmpdir(), 'spgw-compose-'));
  try {
    writeFileSync(join(dir, 'stack.yml'), text);
    const ctx = { opts: { cutover: { service: { kind: 'compose', file: `${dir}/stack.yml`, service: 'matrix' } } }, config: null, exec: createExecutor({ kind: 'docker', container: 'matrix-1' }) } as unknown as DoctorContext;
    const named = composeDeployment(ctx)!;
    assert.equal(named.service, 'matrix');
    assert.equal(named.exec.toHost('/data/homeserver.yaml'), join(dir, 'synapse/data/homeserver.yaml'));
    assert.equal(named.exec.toInside(join(dir, 'synapse/data/media_store')), '/data/media_store');
    assert.deepEqual(asSynapseUser(named).wrap(['true']), ['docker', 'exec', '-i', '-u', '1000:991', 'matrix-1', 'true']);
    // without --synapse-exec: docker compose exec into the service
    const local = composeDeployment({ ...ctx, exec: createExecutor({ kind: 'local' }) } as DoctorContext)!;
    assert.deepEqual(local.exec.wrap(['true']), ['docker', 'compose', '-f', `${dir}/stack.yml`, 'exec', '-T', 'matrix', 'true']);
    assert.deepEqual(asSynapseUser(local).wrap(['true']), ['docker', 'compose', '-f', `${dir}/stack.yml`, 'exec', '-T', '-u', '1000:991', 'matrix', 'true']);
    assert.equal(local.exec.toHost('/data/log.config'), join(dir, 'synapse/data/log.config'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('persisting the CA: a service with user: gets the :ro mount but no entrypoint, and is told why', () => {
  const text = '# Synapse\nservices:\n  synapse:\n    image: ghcr.io/element-hq/synapse:latest\n    user: "1000:1000"\n    volumes:\n      - ./data:/data # the data\n';
  const d = { ...parseCompose('/srv/m/compose.yaml', text)!, exec: createExecutor({ kind: 'local' }) };
  const p = persistCa(d, '/etc/ssl/home-ca.pem', `${TRUST_DIR}/synapse-pg-home-ca.crt`)!;
  assert.equal(p.text, text + `      - /etc/ssl/home-ca.pem:${TRUST_DIR}/synapse-pg-home-ca.crt:ro\n`);
  assert.match(p.caveat!, /user: \(it never runs as root\)/);
  assert.equal(persistCa({ ...d, text: p.text }, '/etc/ssl/home-ca.pem', `${TRUST_DIR}/synapse-pg-home-ca.crt`), undefined, 'already mounted');
});

test('ownership: a :ro config mount needs only read, the data mount read and write', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spgw-compose-ro-'));
  try {
    mkdirSync(join(dir, 'data'));
    mkdirSync(join(dir, 'conf'));
    writeFileSync(join(dir, 'conf', 'homeserver.yaml'), 'server_name: x\n');
    writeFileSync(join(dir, 'compose.yml'), 'services:\n  synapse:\n    image: matrixdotorg/synapse:latest\n    volumes:\n      - ./data:/data\n      - ./conf:/conf:ro\n');
    execFileSync('chown', ['-R', '1234:1234', join(dir, 'data'), join(dir, 'conf')]);
    execFileSync('chmod', ['-R', 'go-rwx', join(dir, 'data'), join(dir, 'conf')]);
    const ctx = { opts: { cutover: {} }, config: { files: [{ path: join(dir, 'conf', 'homeserver.yaml'), data: {} }], merged: {} }, exec: createExecutor({ kind: 'docker', container: 'synapse-1' }) } as unknown as DoctorContext;
    const f = (await composeOwnership.diagnose(ctx))!;
    assert.match(f.evidence, /; needed: read and write for 991:991 \(the image matrixdotorg\/synapse:latest, whose start.py drops to 991:991\), read only on the :ro mounts\.$/);
    assert.deepEqual(f.plan.map((a) => (a.kind === 'command' ? a.argv.join(' ') : a.kind)), [
      `chown -R 991:991 ${dir}/data`,
      `chmod -R u+rwX ${dir}/data`,
      `chown -R 991:991 ${dir}/conf`,
      `chmod -R u+rX ${dir}/conf`,
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('doctor --error maps a container start that failed on permissions or on its log config to the compose findings', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spgw-compose-err-'));
  try {
    const cfg = join(dir, 'homeserver.yaml');
    writeFileSync(cfg, readFileSync(join(import.meta.dirname, 'fixtures', 'generated', 'homeserver.yaml'), 'utf8').replaceAll('/tmp/gen', dir));
    const error = ["PermissionError: [Errno 13] Permission denied: '/data/example.org.signing.key'", "FileNotFoundError: [Errno 2] No such file or directory: '/data/example.org.log.config'"].join('\n');
    const r = await runCli(['doctor', '--json', '--dry-run', '-c', cfg, '--error', error], { timeoutMs: 60_000 });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const f = r.events.filter((e) => e.event === 'finding');
    assert.deepEqual(f.map((e) => e.id).sort(), ['compose-data-ownership', 'log-config-missing']);
    assert.match(String(f.find((e) => e.id === 'log-config-missing')!.cause), /could not open its log config \(\/data\/example\.org\.log\.config\)/);
    assert.match(String(f.find((e) => e.id === 'compose-data-ownership')!.fix), /chown -R 991:991/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('compose doctor with the real Synapse: data directory owned by the wrong uid, and no log config; fixed, probed as 991, Synapse starts', async () => {
  const chroot = requireSynapseChroot();
  const exec = createExecutor({ kind: 'chroot', dir: chroot });
  const files = await generateHomeserver(exec, { serverName: `compose${process.pid}.test`, port: await freePort() });
  const service = createSynctlService({ exec, configPath: files.configPathHost, baseUrl: files.baseUrl, startTimeoutMs: 90_000 });
  // in a real container the directories above a mount are the image's, searchable by all; the chroot's sandbox root is 0750
  const sandboxRoot = join(files.dirHost, '..');
  const rootMode = statSync(sandboxRoot).mode & 0o7777;
  try {
    execFileSync('chmod', ['o+x', sandboxRoot]);
    const compose = join(files.dirHost, 'docker-compose.yml');
    writeFileSync(compose, `services:\n  synapse:\n    image: ghcr.io/element-hq/synapse:v1.160.0\n    environment:\n      SYNAPSE_CONFIG_PATH: ${files.configPathInside}\n      SYNAPSE_DATA_DIR: ${files.dirInside}\n    volumes:\n      - ./:${files.dirInside}\n`);
    execFileSync('chown', ['-R', '1234:1234', files.dirHost]);
    execFileSync('chmod', ['0750', files.dirHost]);
    // log_config names a directory the volume does not have: Synapse cannot write its default there either, and exits
    const generated = readdirSync(files.dirHost).find((n) => n.endsWith('.log.config'))!;
    unlinkSync(join(files.dirHost, generated));
    const logConfig = join('conf', generated);
    const yaml = readFileSync(files.configPathHost, 'utf8');
    assert.match(yaml, /^log_config: .*$/m);
    writeFileSync(files.configPathHost, yaml.replace(/^log_config: .*$/m, `log_config: "${files.dirInside}/${logConfig}"`));
    const probe = ['chroot', '--userspec=991:991', chroot, 'sh', '-c', 'touch "$1/probe" && rm "$1/probe"', 'sh', files.dirInside];
    assert.notEqual((await runArgv(probe)).exitCode, 0, '991 may not write before the fix');
    await assert.rejects(service.start(), /synctl start failed/, 'Synapse does not start without its log config');

    const args = ['doctor', '--json', '-c', files.configPathHost, '--synapse-exec', `chroot:${chroot}`, '--service', 'synctl'];
    const dry = await runCli([...args, '--dry-run'], { timeoutMs: 120_000 });
    assert.equal(dry.code, 1, dry.stdout + dry.stderr);
    assert.deepEqual(findings(dry.events), { 'compose-data-ownership': false, 'log-config-missing': false });
    assert.equal(statSync(files.dirHost).uid, 1234, 'a dry run changes nothing');
    assert.equal(existsSync(join(files.dirHost, logConfig)), false);

    const r = await runCli([...args, '--yes'], { timeoutMs: 200_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(findings(r.events), { 'compose-data-ownership': true, 'log-config-missing': true });
    const own = r.events.find((e) => e.event === 'finding' && e.id === 'compose-data-ownership')!;
    assert.match(String(own.evidence), new RegExp(`data directory ${files.dirHost}: found owner 1234:1234 mode 0750.*needed: read and write for 991:991 \\(the image ghcr.io/element-hq/synapse:v1.160.0, whose start.py drops to 991:991\\)`));
    assert.match(stepMessage(r.events, 'compose-data-ownership'), new RegExp(`A write probe as 991:991 \\(chroot --userspec=991:991 ${chroot}\\) created a file in ${files.dirInside}`));
    assert.match(stepMessage(r.events, 'log-config-missing'), /Python's logging loads \S+\.log\.config where Synapse runs/);
    assert.ok(r.events.some((e) => e.event === 'log' && /Synapse started and \/health answers OK/.test(String(e.message))), r.stdout);
    assert.equal(readFileSync(join(files.dirHost, logConfig), 'utf8'), SANE_LOG_CONFIG);
    assert.equal(statSync(join(files.dirHost, logConfig)).uid, 991);
    assert.equal(statSync(files.dirHost).uid, 991);
    assert.equal((await runArgv(probe)).exitCode, 0, '991 may write after the fix');
    assert.equal(await health(files.baseUrl), true);
  } finally {
    if (await service.isRunning().catch(() => false)) await service.stop().catch(() => undefined);
    rmSync(files.dirHost, { recursive: true, force: true });
    execFileSync('chmod', [rootMode.toString(8), sandboxRoot]);
  }
});

function requireOpenssl(): void {
  try {
    execFileSync('openssl', ['version']);
  } catch {
    throw new Error('openssl is missing; install it with: apt-get install openssl');
  }
}

test('compose doctor: an OIDC issuer with a private CA is trusted after the CA file is named (asked in a terminal, or --ca-file), with verification on; a wrong CA is refused or taken out again; the compose file mounts the CA', async () => {
  requireOpenssl();
  const chroot = requireSynapseChroot();
  const exec = createExecutor({ kind: 'chroot', dir: chroot });
  const tmp = mkdtempSync(join(tmpdir(), 'spgw-oidc-'));
  const name = `oidc${process.pid}`;
  const dirInside = `/srv/spgw-${name}`;
  const dirHost = join(chroot, dirInside);
  const caName = `ca-${process.pid}`;
  const installed = join(chroot, TRUST_DIR, `synapse-pg-${caName}.crt`);
  const ssl = (...a: string[]) => execFileSync('openssl', a, { cwd: tmp, stdio: 'pipe' });
  let server: ReturnType<typeof createServer> | undefined;
  try {
    // installed when the chroot is built (.ci/synapse-chroot.sh): no network during the tests
    assert.ok(existsSync(join(chroot, 'usr/sbin/update-ca-certificates')), `ca-certificates is missing in ${chroot}; rebuild the chroot (rm -rf ${chroot} && bash .ci/synapse-chroot.sh), which installs it`);
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', `${caName}.crt`, '-days', '2', '-subj', '/CN=synapse-pg test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=127.0.0.1');
    writeFileSync(join(tmp, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
    ssl('x509', '-req', '-in', 'srv.csr', '-CA', `${caName}.crt`, '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.crt', '-days', '2', '-extfile', 'ext.cnf');
    let issuer = '';
    server = createServer({ key: readFileSync(join(tmp, 'srv.key')), cert: readFileSync(join(tmp, 'srv.crt')) }, (req, res) => {
      res.writeHead(req.url === '/.well-known/openid-configuration' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ issuer, authorization_endpoint: `${issuer}auth`, token_endpoint: `${issuer}token`, jwks_uri: `${issuer}jwks` }));
    });
    await new Promise<void>((ok) => server!.listen(0, '127.0.0.1', ok));
    issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;

    mkdirSync(dirHost, { recursive: true });
    const config = join(dirHost, 'homeserver.yaml');
    writeFileSync(config, `server_name: ${name}.test\ndatabase:\n  name: sqlite3\n  args:\n    database: ${dirInside}/homeserver.db\noidc_providers:\n  - idp_id: keycloak\n    idp_name: Keycloak\n    issuer: "${issuer}"\n    client_id: synapse\n    client_secret: not-a-secret\n`);
    const composeText = `services:\n  synapse:\n    image: ghcr.io/element-hq/synapse:v1.160.0\n    volumes:\n      - ./:${dirInside}\n`;
    const compose = join(dirHost, 'compose.yaml');
    writeFileSync(compose, composeText);
    // owned as the image's user wants: this test is about trust only
    execFileSync('chown', ['-R', '991:991', dirHost]);

    const before = await fetchDiscovery(exec, discoveryUrl(issuer));
    assert.equal(before.certError, true, `the chroot does not trust the private CA yet: ${before.message}`);

    const r0 = await runCli(['doctor', '--yes', '--json', '-c', config, '--synapse-exec', `chroot:${chroot}`], { timeoutMs: 120_000 });
    assert.equal(r0.code, 1, r0.stdout + r0.stderr);
    assert.deepEqual(findings(r0.events), { 'oidc-ca-untrusted': false });
    assert.match(String(r0.events.find((e) => e.event === 'finding' && e.id === 'oidc-ca-untrusted')!.fix), /--ca-file FILE/);
    assert.match(String(r0.events.find((e) => e.event === 'finding' && e.id === 'oidc-ca-untrusted')!.evidence), /keycloak: fetching https:\/\/127\.0\.0\.1:\d+\/\.well-known\/openid-configuration inside the container \(chroot \S+\) fails: .*CERTIFICATE_VERIFY_FAILED/);

    // a CA that did not sign the issuer's certificate: installed, found not to help, taken out again; the compose file stays
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other.key', '-out', `other-${caName}.crt`, '-days', '2', '-subj', '/CN=another CA');
    const wrong = await runCli(['doctor', '--yes', '--json', '-c', config, '--synapse-exec', `chroot:${chroot}`, '--ca-file', join(tmp, `other-${caName}.crt`)], { timeoutMs: 120_000 });
    assert.equal(wrong.code, 1, wrong.stdout + wrong.stderr);
    assert.deepEqual(findings(wrong.events), { 'oidc-ca-untrusted': false });
    assert.match(stepMessage(wrong.events, 'oidc-ca-untrusted'), /CN=another CA did not sign the certificate of https:\/\/127\.0\.0\.1:\d+\/\.well-known\/openid-configuration: the fetch still fails, so the CA was removed again/);
    assert.equal(existsSync(join(chroot, TRUST_DIR, `synapse-pg-other-${caName}.crt`)), false);
    assert.equal(readFileSync(compose, 'utf8'), composeText);

    // the server's own certificate is not a CA: said, not installed
    const leaf = await runCli(['doctor', '--yes', '--json', '-c', config, '--synapse-exec', `chroot:${chroot}`, '--ca-file', join(tmp, 'srv.crt')], { timeoutMs: 120_000 });
    assert.equal(leaf.code, 1, leaf.stdout + leaf.stderr);
    assert.match(String(leaf.events.find((e) => e.event === 'finding' && e.id === 'oidc-ca-untrusted')!.fix), /srv\.crt: CN=127\.0\.0\.1 is not a CA certificate/);

    // in a terminal, without --ca-file, the fix asks for the file (a wrong one is refused by the prompt) and whether to edit compose
    const tty = await inTerminal([process.execPath, BIN, 'doctor', '--plain', '-c', config, '--synapse-exec', `chroot:${chroot}`], [
      ['Apply?', '\r'],
      ['Which file holds the CA certificate', `${join(tmp, 'srv.crt')}\r`],
      ['is not a CA certificate', `${'\x7f'.repeat(join(tmp, 'srv.crt').length)}${join(tmp, `${caName}.crt`)}\r`],
      ['mount it read-only', '\x1b[C\r'],
    ]);
    assert.equal(tty.code, 0, tty.screen);
    assert.match(tty.screen, /With certificate verification on, the discovery fetch succeeds inside the container/);
    assert.equal(readFileSync(compose, 'utf8'), composeText, 'the compose edit was declined');
    assert.equal((await fetchDiscovery(exec, discoveryUrl(issuer))).ok, true);
    // untrusted again, for the run with flags only
    rmSync(installed);
    assert.equal((await runArgv(['chroot', chroot, 'update-ca-certificates', '--fresh'], { timeoutMs: 120_000 })).exitCode, 0);
    assert.equal((await fetchDiscovery(exec, discoveryUrl(issuer))).certError, true);

    const r = await runCli(['doctor', '--yes', '--json', '-c', config, '--synapse-exec', `chroot:${chroot}`, '--ca-file', join(tmp, `${caName}.crt`)], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(findings(r.events), { 'oidc-ca-untrusted': true });
    assert.match(stepMessage(r.events, 'oidc-ca-untrusted'), /With certificate verification on, the discovery fetch succeeds inside the container/);
    const plan = r.events.find((e) => e.event === 'plan' && e.id === 'oidc-ca-untrusted')!.actions as { kind: string; diff?: string }[];
    assert.match(plan.find((a) => a.kind === 'file')!.diff!, new RegExp(`\\+      - ${tmp.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/${caName}\\.crt:${TRUST_DIR}/synapse-pg-${caName}\\.crt:ro`));
    assert.equal(
      readFileSync(compose, 'utf8'),
      composeText + `      - ${tmp}/${caName}.crt:${TRUST_DIR}/synapse-pg-${caName}.crt:ro\n    entrypoint:\n      - /bin/sh\n      - -c\n      - update-ca-certificates && exec /start.py "$$@"\n      - start.py\n`,
    );
    assert.ok(readdirSync(dirHost).some((n) => n.startsWith('compose.yaml.synapse-pg-') && n.endsWith('.bak')), 'the compose file was backed up');
    assert.ok(existsSync(installed));
    const after = await fetchDiscovery(exec, discoveryUrl(issuer));
    assert.equal(after.ok, true, after.message);
  } finally {
    server?.close();
    rmSync(installed, { force: true });
    rmSync(join(chroot, TRUST_DIR, `synapse-pg-other-${caName}.crt`), { force: true });
    await runArgv(['chroot', chroot, 'update-ca-certificates', '--fresh'], { timeoutMs: 120_000 });
    rmSync(dirHost, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
});
