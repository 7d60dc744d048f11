// `synapse-pg doctor`: turns flags into the doctor's context and runs every diagnosis.
import type { ParsedArgs } from '../cli/args.js';
import type { Ui } from '../core/ui.js';
import { newDoctorContext } from '../doctor/context.js';
import { runDoctor, type DoctorResult } from '../doctor/run.js';
import { doctorOptions } from './options.js';

export async function runDoctorCommand(args: ParsedArgs, ui: Ui): Promise<DoctorResult> {
  const ctx = await newDoctorContext(await doctorOptions(args), ui);
  try {
    return await runDoctor(ctx, ui);
  } finally {
    await ctx.setup.admin?.close();
  }
}
