// "Another host" for tests: a network namespace joined to this one by a veth pair (a private /30 on that link only),
// running its own PostgreSQL cluster with ssl = on (a CA and a server certificate made here with openssl, the namespace's
// address in subjectAltName) and a pg_hba.conf that accepts hostssl scram-sha-256 only. The wizard gets a URL for a role
// with CREATEROLE and CREATEDB and nothing more; the test keeps a superuser path through the cluster's Unix socket.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pgBinDir } from './cluster.js';

export interface RemoteCa {
  dir: string;
  /** The CA certificate a client trusts (sslrootcert). */
  caFile: string;
}

export interface RemotePg {
  ns: string;
  /** This host's address on the link (what the server sees as inet_client_addr()). */
  hostAddr: string;
  /** The server's address: its only listen address, and the IP in its certificate. */
  addr: string;
  port: number;
  dir: string;
  hbaFile: string;
  ca: RemoteCa;
  /** A CA nobody signed the server with: for "unknown CA" failures. */
  otherCa: RemoteCa;
  admin: { user: string; password: string };
  /** postgresql://ADMIN@ADDR:PORT/postgres (no password: give it in PGPASSWORD). */
  adminUrl: string;
  /** Runs SQL as the superuser over the cluster's Unix socket (the test's own path, never the wizard's). */
  psql(sql: string, db?: string): string;
  /** Replaces pg_hba.conf and reloads. */
  setHba(text: string): void;
  hba(): string;
  stop(): void;
}

export interface RemotePgOptions {
  /** pg_hba.conf; default: the Unix socket for postgres, and hostssl scram-sha-256 from this host's link address. */
  hba?: (hostAddr: string) => string;
  /** subjectAltName of the server certificate; default IP:<server address>. */
  san?: (addr: string) => string;
  extraConf?: string;
}

let counter = 0;

const ownerFile = (n: number) => join(tmpdir(), `spgw-netns-${n}.owner`);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Removes namespace n, its host-side veth and its owner file (what a killed test process left). */
function removeLink(n: number): void {
  for (const p of (spawnSync('ip', ['netns', 'pids', `spgw-r${n}`], { encoding: 'utf8' }).stdout ?? '').split('\n').filter(Boolean)) spawnSync('kill', ['-9', p]);
  spawnSync('ip', ['netns', 'del', `spgw-r${n}`], { stdio: 'ignore' });
  spawnSync('ip', ['link', 'del', `spgw${n}h`], { stdio: 'ignore' });
  rmSync(ownerFile(n), { force: true });
}

/** The pid in n's owner file, or undefined when there is none. */
function ownerOf(n: number): number | undefined {
  try {
    return Number(readFileSync(ownerFile(n), 'utf8')) || 0;
  } catch {
    return undefined;
  }
}

/** Namespaces left by a test process that was killed: their owner file names a dead pid. */
function removeStaleNamespaces(): void {
  const names = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  for (const m of names.matchAll(/^spgw-r(\d+)\b/gm)) {
    const owner = ownerOf(Number(m[1]));
    // no owner file: being created right now by another process (the owner file comes first)
    if (owner !== undefined && !alive(owner)) removeLink(Number(m[1]));
  }
}

/** A link number (10.213.N.0/30) no other test process holds: its owner file is created exclusively, then the namespace. */
function claimLink(): number {
  const start = (process.pid * 7 + ++counter) % 250;
  for (let i = 0; i < 250; i++) {
    const n = ((start + i) % 250) + 1;
    const owner = ownerOf(n);
    if (owner !== undefined && !alive(owner)) removeLink(n);
    try {
      writeFileSync(ownerFile(n), String(process.pid), { flag: 'wx' });
    } catch {
      continue;
    }
    if (spawnSync('ip', ['netns', 'add', `spgw-r${n}`], { stdio: 'ignore' }).status === 0) return n;
    rmSync(ownerFile(n), { force: true });
  }
  throw new Error('no free 10.213.N.0/30 link for a test namespace (250 in use?)');
}

function sh(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

function requireTools(): void {
  for (const t of ['ip', 'openssl']) {
    if (spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0) throw new Error(`${t} is missing: apt-get install -y iproute2 openssl`);
  }
}

/** A CA (key + self-signed certificate) in a directory of its own. */
export function makeCa(name: string): RemoteCa {
  const dir = mkdtempSync(join(tmpdir(), 'spgw-ca-'));
  sh('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.crt')]);
  chmodSync(dir, 0o755);
  return { dir, caFile: join(dir, 'ca.crt') };
}

/** A server key and a certificate signed by `ca` with the given subjectAltName, written into `dir` for the postgres user. */
function serverCert(ca: RemoteCa, dir: string, san: string, uid: number, gid: number): void {
  const key = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const ext = join(dir, 'server.ext');
  sh('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=synapse-pg test server', '-keyout', key, '-out', csr]);
  writeFileSync(ext, `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`);
  sh('openssl', ['x509', '-req', '-in', csr, '-CA', ca.caFile, '-CAkey', join(ca.dir, 'ca.key'), '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', join(dir, 'server.crt')]);
  for (const f of [key, join(dir, 'server.crt')]) chownSync(f, uid, gid);
  chmodSync(key, 0o600);
}

function idOf(flag: '-u' | '-g'): number {
  return Number(sh('id', [flag, 'postgres']).trim());
}

/** Starts the namespace, the link and the TLS cluster; throws (after undoing what it made) when any part fails. */
export function startRemotePg(opts: RemotePgOptions = {}): RemotePg {
  if (process.getuid?.() !== 0) throw new Error('The namespaced PostgreSQL needs root (ip netns, runuser -u postgres).');
  requireTools();
  const bin = pgBinDir();
  removeStaleNamespaces();
  const n = claimLink();
  const ns = `spgw-r${n}`;
  const hostIf = `spgw${n}h`;
  const nsIf = `spgw${n}n`;
  const hostAddr = `10.213.${n}.1`;
  const addr = `10.213.${n}.2`;
  const port = 5432;
  const dir = mkdtempSync(join(tmpdir(), 'spgw-remote-'));
  const uid = idOf('-u');
  const gid = idOf('-g');
  const cas: RemoteCa[] = [];
  let started = false;
  const data = join(dir, 'data');
  const stop = () => {
    if (started) spawnSync('ip', ['netns', 'exec', ns, 'runuser', '-u', 'postgres', '--', join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop'], { stdio: 'ignore' });
    started = false;
    removeLink(n);
    rmSync(dir, { recursive: true, force: true });
    for (const c of cas) rmSync(c.dir, { recursive: true, force: true });
  };
  try {
    sh('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
    sh('ip', ['link', 'set', nsIf, 'netns', ns]);
    sh('ip', ['addr', 'add', `${hostAddr}/30`, 'dev', hostIf]);
    sh('ip', ['link', 'set', hostIf, 'up']);
    sh('ip', ['-n', ns, 'addr', 'add', `${addr}/30`, 'dev', nsIf]);
    sh('ip', ['-n', ns, 'link', 'set', nsIf, 'up']);
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);

    chownSync(dir, uid, gid);
    const ca = makeCa('synapse-pg test CA');
    const otherCa = makeCa('some other CA');
    cas.push(ca, otherCa);
    const asPg = (cmd: string, args: string[], input?: string) => sh('ip', ['netns', 'exec', ns, 'runuser', '-u', 'postgres', '--', cmd, ...args], input);
    asPg(join(bin, 'initdb'), ['-D', data, '-E', 'UTF8', '--locale=C.UTF-8', '--auth-local=peer', '--auth-host=scram-sha-256', '-U', 'postgres']);
    serverCert(ca, data, opts.san?.(addr) ?? `IP:${addr}`, uid, gid);
    const hbaFile = join(data, 'pg_hba.conf');
    const defaultHba = `local all postgres peer\nhostssl all all ${hostAddr}/32 scram-sha-256\n`;
    writeFileSync(hbaFile, opts.hba?.(hostAddr) ?? defaultHba);
    chownSync(hbaFile, uid, gid);
    const conf = join(data, 'postgresql.conf');
    writeFileSync(
      conf,
      readFileSync(conf, 'utf8') +
        `\nport = ${port}\nlisten_addresses = '${addr}'\nunix_socket_directories = '${dir}'\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n` +
        `password_encryption = 'scram-sha-256'\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\nshared_buffers = 32MB\nmax_connections = 50\n${opts.extraConf ?? ''}\n`,
    );
    asPg(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
    started = true;
    const psql = (sql: string, db = 'postgres') => asPg(join(bin, 'psql'), ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', dir, '-p', String(port), '-d', db, '-f', '-'], sql).trim();
    const admin = { user: 'provider_admin', password: 'A' + randomBytes(15).toString('base64url') };
    // what a managed service hands out: CREATEROLE and CREATEDB, never SUPERUSER
    psql(`CREATE ROLE ${admin.user} LOGIN CREATEROLE CREATEDB NOSUPERUSER PASSWORD '${admin.password}'`);
    return {
      ns,
      hostAddr,
      addr,
      port,
      dir,
      hbaFile,
      ca,
      otherCa,
      admin,
      adminUrl: `postgresql://${admin.user}@${addr}:${port}/postgres`,
      psql,
      hba: () => readFileSync(hbaFile, 'utf8'),
      setHba(text: string) {
        writeFileSync(hbaFile, text);
        psql('SELECT pg_reload_conf()');
      },
      stop,
    };
  } catch (e) {
    const log = (() => {
      try {
        return readFileSync(join(dir, 'server.log'), 'utf8');
      } catch {
        return '';
      }
    })();
    stop();
    const err = e as { stderr?: string; message: string };
    throw new Error(`could not start the namespaced PostgreSQL: ${err.stderr || err.message}${log ? `\nserver.log:\n${log}` : ''}`, { cause: e });
  }
}
