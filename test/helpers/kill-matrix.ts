// The cutover kill matrix: a real homeserver, a cutover killed with SIGKILL at a chosen moment, then `status --json` compared with
// what the test sees itself, a rerun that must finish, and every acknowledged message read back from PostgreSQL.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { health } from '../../src/synapse/client.js';
import { adminEnv, cutoverFlags, describeRun, psql, runWizard, type WizardEvent, type WizardRun } from '../cutover-helpers.js';
import { startPracticeHomeserver, type PracticeHomeserver } from './synapse.js';

export interface KillPoint {
  /** The step the kill lands in. */
  step: string;
  /** What triggers the kill: the step's step-start (then `delayMs` later), or the first event of the step matching `when`. */
  when?: (e: WizardEvent) => boolean;
  delayMs?: number;
  label: string;
}

/** Every step of the cutover, killed just after its step-start, and the long ones also in their middle. */
export function killPoints(): KillPoint[] {
  const atStart = CUTOVER_STEPS.map((step) => ({ step, label: `killed at the start of ${step}` }));
  const middle: KillPoint[] = [
    { step: 'port-snapshot', label: 'killed while copying the phase 1 snapshot', when: (e) => e.event === 'progress' && e.label !== 'snapshot pages' && e.label !== 'comparing tables' },
    { step: 'stop-synapse', label: 'killed while Synapse stops', when: (e) => e.event === 'log' && /Estimated downtime/.test(String(e.message)), delayMs: 300 },
    { step: 'port-final', label: "killed while synapse_port_db's own code prepares phase 2", when: (e) => e.event === 'log' && /Preparing psycopg2/.test(String(e.message)) },
    { step: 'start-synapse', label: 'killed while Synapse starts on PostgreSQL', delayMs: 500 },
  ];
  return [...atStart, ...middle];
}

export const CUTOVER_STEPS = ['pg-admin', 'preflight', 'create-role', 'create-database', 'pg-hba', 'snapshot', 'postgres-config', 'port-snapshot', 'stop-synapse', 'final-snapshot', 'port-final', 'verify-port', 'swap-config', 'start-synapse'];

/**
 * What `synapse-pg status --json` says, next to what the test observes on its own. Synapse may be half way through a start or
 * a stop that the killed run began, so a comparison counts only when /health said the same just before and just after status.
 */
async function statusAgrees(hs: PracticeHomeserver, label: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const before = await health(hs.baseUrl);
    const st = await runWizard(['status', '--json', '-c', hs.configPath, '--synapse-exec', `chroot:${hs.state.chrootDir}`]);
    const after = await health(hs.baseUrl);
    if (before !== after && attempt < 10) {
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    assert.equal(before, after, `${label}: Synapse kept changing state for 10 s`);
    assert.equal(st.code, 0, `${label}: status: ${describeRun(st)}`);
    const report = st.events.find((e) => e.event === 'status') as unknown as { synapse: { running: boolean; database?: string }; database?: { engine: string } };
    assert.equal(report.synapse.running, after, `${label}: status says Synapse is ${report.synapse.running ? '' : 'not '}running; /health ${after ? 'answers' : 'does not answer'}`);
    const engine = (parse(readFileSync(hs.configPath, 'utf8')) as { database: { name: string } }).database.name === 'psycopg2' ? 'postgres' : 'sqlite';
    assert.equal(report.database?.engine, engine, `${label}: the database in use per status`);
    if (after) {
      const sessions = Number(psql(hs, `SELECT count(*) FROM pg_stat_activity WHERE usename = 'synapse_user' AND datname = 'synapse'`));
      assert.equal(report.synapse.database, sessions > 0 ? 'postgres' : 'sqlite', `${label}: the database Synapse serves from per status (${sessions} sessions of synapse_user)`);
    }
    return;
  }
}

/** One cell of the matrix; returns a line for the test's diagnostics. */
export async function killAndResume(k: KillPoint): Promise<string> {
  const hs = await startPracticeHomeserver({ postgres: true, users: 2, rooms: 1, messages: 6 });
  const tmp = await mkdtemp(join(tmpdir(), 'spgw-kill-'));
  try {
    const pwFile = join(tmp, 'db-password');
    const sent = await hs.sendMessages(4);
    let killed = false;
    let armed = false;
    const first: WizardRun = await runWizard(cutoverFlags(hs, pwFile), (e, child) => {
      if (killed) return;
      if (e.event === 'step-start' && e.id === k.step) armed = true;
      if (!armed || e.id !== k.step) return;
      const go = k.when ? k.when(e) : e.event === 'step-start';
      if (!go) return;
      killed = true;
      if (k.delayMs) setTimeout(() => child.kill('SIGKILL'), k.delayMs);
      else child.kill('SIGKILL');
    }, adminEnv(hs));
    assert.ok(killed, `${k.label}: the kill point was never reached: ${describeRun(first)}`);
    assert.equal(first.signal, 'SIGKILL', `${k.label}: the first run ended before the kill (${first.code}): ${describeRun(first)}`);
    await statusAgrees(hs, `${k.label}, after the kill`);

    const second = await runWizard(cutoverFlags(hs, pwFile), undefined, adminEnv(hs));
    assert.equal(second.code, 0, `${k.label}: the rerun failed: ${describeRun(second)}`);
    assert.ok(await health(hs.baseUrl), `${k.label}: Synapse answers after the rerun`);
    await statusAgrees(hs, `${k.label}, after the rerun`);
    const report = (await runWizard(['status', '--json', '-c', hs.configPath, '--synapse-exec', `chroot:${hs.state.chrootDir}`])).events.find((e) => e.event === 'status') as unknown as { cutover?: { phase: string } };
    assert.equal(report.cutover?.phase, 'done', `${k.label}: the journal is finished`);
    // Read back as a client does, paginating the room: every acknowledged message, in sending order.
    const session = await hs.login();
    const ours = (await session.messages(hs.rooms[0]!.roomId)).map((m) => m.eventId).filter((id) => sent.includes(id));
    assert.deepEqual(ours, sent, `${k.label}: every message sent before the cutover, served from PostgreSQL in sending order`);
    return `${k.label}: killed (${first.ms} ms), rerun ${second.ms} ms, ${ours.length} messages served from PostgreSQL`;
  } finally {
    await hs.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}
