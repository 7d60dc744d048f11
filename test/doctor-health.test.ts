// "No known problem" includes Synapse's own word where it runs: /health answers OK. A Synapse that runs but hangs (stopped
// with SIGSTOP, as a process blocked on I/O would be) is a problem, exit 1. The real Synapse in the practice homeserver.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { SYNAPSE_CHROOT, startPracticeHomeserver } from './helpers/synapse.js';

/** Synapse's pid from the pid_file its config names (inside the chroot or on the host). */
function synapsePid(configPath: string): number {
  const pidFile = /^pid_file:\s*"?([^"\n]+)"?\s*$/m.exec(readFileSync(configPath, 'utf8'))![1]!;
  const host = [join(SYNAPSE_CHROOT, pidFile), pidFile].find((p) => existsSync(p))!;
  return Number(readFileSync(host, 'utf8').trim());
}

test('doctor: where Synapse runs, the verdict includes /health answering OK; a hung Synapse is a problem', async () => {
  const hs = await startPracticeHomeserver({ users: 1, rooms: 1, messages: 1, postgres: true });
  const pid = synapsePid(hs.configPath);
  try {
    // a fresh practice homeserver still has SQLite background updates pending (a finding of its own); /health is asked anyway
    const ok = await runCli(['doctor', '--sandbox', '--state-dir', hs.stateDir, '--json'], { timeoutMs: 300_000 });
    assert.ok(ok.events.some((e) => e.event === 'log' && e.id === 'synapse-health' && /^Synapse answers http:\/\/127\.0\.0\.1:\d+\/health with OK\.$/.test(String(e.message))), ok.stdout);
    assert.ok(!ok.events.some((e) => e.event === 'finding' && e.id === 'synapse-unhealthy'), ok.stdout);

    process.kill(pid, 'SIGSTOP');
    const hung = await runCli(['doctor', '--sandbox', '--state-dir', hs.stateDir, '--json'], { timeoutMs: 300_000 });
    process.kill(pid, 'SIGCONT');
    assert.equal(hung.code, 1, hung.stdout);
    const f = hung.events.find((e) => e.event === 'finding' && e.id === 'synapse-unhealthy');
    assert.match(String(f?.evidence), /says Synapse is running, but GET http:\/\/127\.0\.0\.1:\d+\/health answered: GET .* failed: TimeoutError/, hung.stdout);
  } finally {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      /* gone already */
    }
    await hs.stop();
  }
});
