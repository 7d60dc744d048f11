// The doctor on a Synapse whose PostgreSQL is on another host (a network namespace): a refused connection and one whose
// packets are dropped are told apart, each with the fix for the server's admin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { startRemotePg, type RemotePg } from './helpers/netns.js';

function config(r: RemotePg, port: number): { dir: string; cfg: string } {
  const dir = mkdtempSync(join(tmpdir(), 'spgw-remote-doctor-'));
  const cfg = join(dir, 'homeserver.yaml');
  writeFileSync(cfg, `server_name: remote.test\nreport_stats: false\ndatabase:\n  name: psycopg2\n  args:\n    user: synapse_user\n    password: Remote-doctor-pw-1\n    dbname: synapse\n    host: ${r.addr}\n    port: ${port}\n`, { mode: 0o600 });
  return { dir, cfg };
}

async function finding(cfg: string, dir: string): Promise<Record<string, unknown> | undefined> {
  const res = await runCli(['doctor', '--json', '--dry-run', '-c', cfg], { cwd: dir, env: { HOME: dir }, timeoutMs: 180_000 });
  return res.events.find((e) => e.event === 'finding' && e.id === 'remote-connection');
}

test('doctor: refused (nothing listens on that port) and timed out (packets dropped) are told apart, with fixes for the server\'s admin', { timeout: 300_000 }, async () => {
  const r = startRemotePg();
  try {
    const refused = config(r, 5433);
    const f1 = await finding(refused.cfg, refused.dir);
    assert.ok(f1, 'a refused connection is a finding');
    assert.match(String(f1.evidence), /is refused at once/);
    assert.match(String(f1.cause), new RegExp(`nothing listens on ${r.addr.replaceAll('.', '\\.')} port 5433`));
    assert.match(String(f1.fix), /listen_addresses includes/);

    // the server's replies to this host vanish: what a firewall or security group that drops packets looks like
    execFileSync('ip', ['-n', r.ns, 'route', 'add', 'blackhole', `${r.hostAddr}/32`]);
    const dropped = config(r, r.port);
    const f2 = await finding(dropped.cfg, dropped.dir);
    assert.ok(f2, 'a timed-out connection is a finding');
    assert.match(String(f2.evidence), new RegExp(`from this host \\(${r.hostAddr.replaceAll('.', '\\.')}\\) gets no answer at all`));
    assert.match(String(f2.cause), /dropped on the way, not refused/);
    assert.match(String(f2.fix), new RegExp(`allow ${r.hostAddr.replaceAll('.', '\\.')} to reach TCP port ${r.port}`));
  } finally {
    r.stop();
  }
});
