// Which command lines only look (status, sandbox status, maintain report): the one rule for "no --yes needed" and "print, not full screen".
import type { ParsedArgs } from './args.js';

/**
 * True when the command changes nothing. `interactive`: someone can be asked, so `maintain` without a task
 * asks which one (and is not known to be read-only); without a terminal it is the read-only report.
 */
export function isReadOnly(args: ParsedArgs, interactive: boolean): boolean {
  const action = args.positionals[0];
  switch (args.command) {
    case 'status':
      return true;
    case 'sandbox':
      return (action ?? 'status') === 'status';
    case 'doctor':
      // no one to ask and no --yes: the read-only diagnosis (--dry-run says the same explicitly)
      return !interactive && !args.flags.yes;
    case 'maintain':
      return (action ?? (interactive ? undefined : 'report')) === 'report';
    default:
      return false;
  }
}
