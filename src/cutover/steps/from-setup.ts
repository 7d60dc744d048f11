// The setup steps (superuser access, role, database, pg_hba.conf) reused as cutover steps: the target must pass the same checks.
import type { Step } from '../../core/step.js';
import type { SetupContext } from '../../setup/context.js';
import type { CutoverContext } from '../context.js';

export function fromSetup(step: Step<SetupContext>): Step<CutoverContext> {
  return {
    id: step.id,
    title: step.title,
    why: step.why,
    gather: step.gather && ((ctx, sc, ask) => step.gather!(ctx.setup, sc, ask)),
    check: (ctx, sc) => step.check(ctx.setup, sc),
    apply: (ctx, sc) => step.apply(ctx.setup, sc),
    verify: (ctx, sc) => {
      // In a dry run the role may not exist yet, so a login cannot be proven.
      if (sc.dryRun && ctx.setup.password === undefined) return Promise.resolve({ ok: true, message: 'not proven in a dry run (the role and its password are created by the steps above).' });
      return step.verify(ctx.setup, sc);
    },
  };
}
