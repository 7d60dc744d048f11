// Whether a command line asks for the full-screen app; kept apart from blessed so the entry point decides before loading it.
import type { ParsedArgs } from '../../src/cli/args.js';
import { isReadOnly } from '../../src/cli/read-only.js';

export interface TtyStreams {
  input: { isTTY?: boolean };
  output: { isTTY?: boolean };
}

/** Full screen for the menu, and for a command on a terminal when no --plain, --json or --yes asks otherwise. */
export function wantsFullscreen(args: ParsedArgs, streams: TtyStreams = { input: process.stdin, output: process.stdout }): boolean {
  if (args.command === 'menu') return true;
  // read-only reports (status, sandbox status, maintain report) are printed, so they stay in the scrollback;
  // `maintain` alone asks which task on a terminal, so it is not known to be one
  if (isReadOnly(args, true)) return false;
  const f = args.flags;
  return !f.plain && !f.json && !f.yes && !!streams.input.isTTY && !!streams.output.isTTY;
}
