// SQL identifiers and literals from users: validated, then always quoted; SQL is never built from raw input.
import { WizardError } from '../core/errors.js';

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]{0,62}$/;

/** Role and database names: letters, digits, `_` and `-` (quoted, so hyphens are safe), at most 63 bytes. */
export function validateIdentifier(kind: 'role' | 'database', name: string, flag: string): string {
  if (!IDENT.test(name)) {
    throw new WizardError('BAD_INPUT', `${flag} "${name}" is not a plain ${kind} name.`, {
      hint: `Use 1-63 characters: letters, digits, "_" or "-", starting with a letter or "_" (for example ${kind === 'role' ? 'synapse_user' : 'synapse'}).`,
    });
  }
  if (kind === 'role' && /^pg_/i.test(name)) {
    throw new WizardError('BAD_INPUT', `${flag} "${name}": role names starting with "pg_" are reserved by PostgreSQL.`, { hint: 'Pick another name, for example synapse_user.' });
  }
  if (kind === 'role' && ['public', 'none', 'current_user', 'session_user', 'current_role'].includes(name.toLowerCase())) {
    throw new WizardError('BAD_INPUT', `${flag} "${name}" is a reserved role name in PostgreSQL.`, { hint: 'Pick another name, for example synapse_user.' });
  }
  return name;
}

export function quoteIdent(name: string): string {
  if (name.includes('\0')) throw new WizardError('BAD_INPUT', 'An identifier cannot contain a NUL byte.');
  return `"${name.replace(/"/g, '""')}"`;
}

/** A SQL string literal that is safe whatever standard_conforming_strings says. */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new WizardError('BAD_INPUT', 'A value cannot contain a NUL byte.');
  const body = value.replace(/'/g, "''");
  return value.includes('\\') ? `E'${body.replace(/\\/g, '\\\\')}'` : `'${body}'`;
}
