// A finding as a runner step: its check is the diagnosis already made, apply diagnoses afresh and fixes, verify diagnoses again.
import { WizardError } from '../core/errors.js';
import type { Step } from '../core/step.js';
import type { DoctorContext } from './context.js';
import type { SynapseControl } from './synapse-control.js';
import type { Diagnosis, Finding } from './types.js';

export function findingStep(d: Diagnosis, f: Finding, synapse: SynapseControl): Step<DoctorContext> {
  /** The finding as diagnosed right before the fix (an earlier fix may have changed it); undefined: an earlier fix fixed it. */
  let now: Finding | undefined;
  return {
    id: f.id,
    title: f.title,
    why: f.cause,
    declined: 'Not applied: you declined.',
    async check() {
      if (f.notPresentNow) return { status: 'done', message: f.evidence };
      if (!f.apply) return { status: 'blocked', message: f.evidence, hint: `Fix it by hand: ${f.fix}` };
      return {
        status: 'needed',
        message: f.evidence,
        plan: f.plan.length ? f.plan : [{ kind: 'note', text: f.fix }],
        confirm: `${f.title}: ${f.fix}${f.needsSynapseStopped ? ' (Synapse is stopped first)' : ''}. Apply?`,
      };
    },
    async apply(ctx, sc) {
      // An earlier fix may have fixed this too, or changed what the fix must do: diagnose afresh first.
      now = await d.diagnose(ctx);
      if (!now) return 'Fixed by an earlier fix.';
      if (!now.apply) throw new WizardError('BLOCKED', `Fix it by hand: ${now.fix}`);
      if (now.needsSynapseStopped) await synapse.ensureStopped(sc, now.title);
      return now.apply(sc);
    },
    async verify(ctx) {
      if (f.notPresentNow) return { ok: true, message: f.notPresentNow };
      if (!now) return { ok: true, message: 'diagnosing again finds nothing.' };
      const again = await d.diagnose(ctx);
      if (again) return { ok: false, message: `diagnosing again still finds: ${again.evidence}` };
      const proof = now.verify ? ` ${await now.verify()}` : '';
      if (now.restartSynapse) synapse.restartWanted = true;
      if (now.needsSynapseStopped) synapse.startWanted = true;
      return { ok: true, message: `diagnosing again finds nothing.${proof}` };
    },
  };
}
