// `synapse-pg setup`: turns flags into the setup context and runs the setup flow.
import type { ParsedArgs } from '../cli/args.js';
import { runFlow, type FlowOutcome, type FlowResult } from '../core/runner.js';
import type { Ui } from '../core/ui.js';
import { newSetupContext } from '../setup/context.js';
import { setupSteps } from '../setup/flow.js';
import { undoSetup } from '../setup/undo.js';
import { runFlags, setupCommandOptions } from './options.js';
import { MESSAGES } from '../core/messages.js';

export async function runSetup(args: ParsedArgs, ui: Ui): Promise<FlowResult> {
  const ctx = newSetupContext(await setupCommandOptions(args), ui.prompter);
  try {
    const summarize = async (o: FlowOutcome, end: { ok: boolean; message: string; hint?: string }) => {
      if (end.ok || o.cancelled || ui.signal.aborted) return end;
      const said = await undoSetup(ctx, ui.emit);
      return { ...end, message: said ? `${end.message} ${said}` : end.message };
    };
    return await runFlow(setupSteps, ctx, { flowId: 'setup', title: 'First-time setup: Synapse on PostgreSQL', ...runFlags(args), preflight: true, review: true, reviewNotes: MESSAGES.setupReviewNotes, prompter: ui.prompter, emit: ui.emit, signal: ui.signal, onFailure: ui.onFailure, summarize });
  } finally {
    await ctx.admin?.close();
  }
}
