// The setup steps (superuser access, role, database, pg_hba.conf) reused as cutover steps: the target must pass the same checks.
import type { Step } from '../../core/step.js';
import type { SetupContext } from '../../setup/context.js';
import type { CutoverContext } from '../context.js';

export function fromSetup(step: Step<SetupContext>): Step<CutoverContext> {
  return {
    id: step.id,
    title: step.title,
    why: step.why,
    check: (ctx, sc) => step.check(ctx.setup, sc),
    apply: (ctx, sc) => step.apply(ctx.setup, sc),
    verify: (ctx, sc) => step.verify(ctx.setup, sc),
  };
}
