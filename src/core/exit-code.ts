// The process's exit status, decided here only: 0 done and verified, 1 failed, blocked or declined, 2 bad usage, 130 interrupted.
import type { WizardError } from './errors.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** How a command (or the app) ended: ok, or not ok and whether the admin interrupted it. */
export function exitCodeOf(ok: boolean, interrupted = false): number {
  if (ok) return EXIT_OK;
  return interrupted ? EXIT_INTERRUPTED : EXIT_FAILED;
}

/** An error that reached the entry point: Ctrl-C, bad usage (flags, no terminal to ask on), or a failure. */
export function exitCodeOfError(err: WizardError): number {
  if (err.code === 'CANCELLED') return EXIT_INTERRUPTED;
  return err.code === 'BAD_INPUT' || err.code === 'NOT_A_TTY' ? EXIT_USAGE : EXIT_FAILED;
}
