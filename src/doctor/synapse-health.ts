// Where Synapse should be running (its service says so), the verdict includes its own answer: GET /health must say OK. A hung
// or crashing Synapse is a problem whatever its database looks like.
import { request } from '../synapse/http.js';
import { clientBaseUrl } from '../synapse/listener.js';
import { toWizardError } from '../core/errors.js';
import type { DoctorContext } from './context.js';
import type { Diagnosis } from './types.js';

/** What /health answered ('OK' when healthy), or undefined when the doctor cannot tell that Synapse should be running. */
export async function healthAnswer(ctx: DoctorContext): Promise<{ url: string; ok: boolean; said: string } | undefined> {
  const base = ctx.config ? clientBaseUrl(ctx.config.merged, { orFirst: true }) : undefined;
  if (!base || !ctx.service || !(await ctx.service.isRunning().catch(() => false))) return undefined;
  try {
    const r = await request(base, 'GET', '/health', { timeoutMs: 10_000 });
    return { url: `${base}/health`, ok: r.status === 200 && r.text.trim() === 'OK', said: `HTTP ${r.status} ${r.text.trim().slice(0, 200)}` };
  } catch (e) {
    return { url: `${base}/health`, ok: false, said: toWizardError(e).message };
  }
}

export const synapseHealth: Diagnosis = {
  id: 'synapse-unhealthy',
  rank: 2,
  title: 'Synapse runs but does not answer /health',
  patterns: [],
  async diagnose(ctx) {
    const h = await healthAnswer(ctx);
    if (h?.ok) ctx.healthSeen = h.url;
    if (!h || h.ok) return undefined;
    return {
      id: this.id,
      title: this.title,
      evidence: `${ctx.service!.describe()} says Synapse is running, but GET ${h.url} answered: ${h.said}.`,
      cause: 'Synapse is stuck (a blocked database, a stopped process, an exhausted reactor) or still starting; clients time out meanwhile.',
      fix: "read Synapse's log for the last errors, then restart it; if it hangs on the database, the findings above (or the doctor run again) name why",
      needsSynapseStopped: false,
      plan: [],
    };
  },
};
