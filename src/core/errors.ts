// Typed errors: every fault the admin can see carries a code, a cause and a hint saying what to do next.
export type ErrorCode =
  | 'BAD_INPUT'
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_UNREADABLE'
  | 'CONFIG_PARSE'
  | 'CONFIG_CONFLICT'
  | 'PG_UNREACHABLE'
  | 'PG_NOT_SUPERUSER'
  | 'PG_TOO_OLD'
  | 'PG_QUERY'
  | 'PG_AUTH'
  | 'PG_TLS'
  | 'DB_WRONG_LOCALE'
  | 'DB_WRONG_OWNER'
  | 'HBA_NOT_WRITABLE'
  | 'HBA_RELOAD'
  | 'EXEC'
  | 'NOT_A_TTY'
  | 'CANCELLED'
  | 'UNVERIFIED'
  | 'BLOCKED'
  | 'SQLITE'
  | 'PORT_FAILED'
  | 'SERVICE'
  | 'INTERNAL';

export interface WizardErrorOptions {
  hint?: string;
  cause?: unknown;
}

export class WizardError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  constructor(code: ErrorCode, message: string, opts: WizardErrorOptions = {}) {
    super(message, { cause: opts.cause });
    this.name = 'WizardError';
    this.code = code;
    this.hint = opts.hint;
  }
}

export function isWizardError(e: unknown): e is WizardError {
  return e instanceof WizardError;
}

/** Turns anything thrown into a WizardError without losing the original. */
export function toWizardError(e: unknown, code: ErrorCode = 'INTERNAL'): WizardError {
  if (isWizardError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new WizardError(code, message, { cause: e });
}
