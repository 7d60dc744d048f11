// `synapse-pg doctor`: turns flags into the doctor's context and runs every diagnosis.
import type { ParsedArgs } from '../cli/args.js';
import { newDoctorContext } from '../doctor/context.js';
import { runDoctor, type DoctorResult } from '../doctor/run.js';
import type { Ui } from './ui.js';

export async function runDoctorCommand(args: ParsedArgs, ui: Ui): Promise<DoctorResult> {
  const ctx = await newDoctorContext(args, ui);
  try {
    return await runDoctor(ctx, ui);
  } finally {
    await ctx.setup.admin?.close();
  }
}
