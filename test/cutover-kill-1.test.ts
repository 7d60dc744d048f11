// The cutover kill matrix, part 1 of 2: SIGKILL at every step (and in the middle of the long ones), then status agrees with
// the system, the rerun finishes, and every message is served from PostgreSQL. Real Synapse, real PostgreSQL.
import { test } from 'node:test';
import { killAndResume, killPoints } from './helpers/kill-matrix.js';

const all = killPoints();
const half = Math.ceil(all.length / 2);
for (const k of all.slice(0, half)) {
  test(k.label, { timeout: 240_000 }, async (t) => {
    t.diagnostic(await killAndResume(k));
  });
}
