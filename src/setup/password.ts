// Where Synapse's database password comes from: --db-password-file, a masked prompt, the existing config, or generated.
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { WizardError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';
import { generatePassword } from '../pg/scram.js';
import { writeFileAtomic } from '../adapters/files.js';
import type { SetupContext } from './context.js';

export async function readPasswordFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (e) {
    throw new WizardError('BAD_INPUT', `--db-password-file ${path} cannot be read: ${(e as Error).message}`, { cause: e, hint: 'Give a file that holds only the password (mode 0600).' });
  }
  const pw = text.replace(/\r?\n$/, '');
  if (!pw) throw new WizardError('BAD_INPUT', `--db-password-file ${path} is empty.`, { hint: 'Put the password on the first line of the file.' });
  if (/[\r\n\0]/.test(pw)) throw new WizardError('BAD_INPUT', `--db-password-file ${path} holds more than one line.`, { hint: 'The file must hold only the password.' });
  registerSecret(pw);
  return pw;
}

export function validatePassword(pw: string): string | undefined {
  if (pw.length < 12) return 'Use at least 12 characters.';
  if (/[\r\n\0]/.test(pw)) return 'A password cannot contain line breaks.';
  return undefined;
}

/** Where a generated password is kept when the admin named no file: beside the config, readable by root only. */
export function generatedPasswordPath(ctx: SetupContext): string {
  if (ctx.opts.dbPasswordFile) return ctx.opts.dbPasswordFile;
  const base = ctx.config?.files[0] ? dirname(ctx.config.files[0].path) : ctx.opts.cwd;
  return join(base, '.synapse-pg', 'db-password');
}

/** A fresh password, saved (0600) before anything uses it so it can never be lost. */
export async function generateAndSave(ctx: SetupContext): Promise<void> {
  const pw = generatePassword();
  registerSecret(pw);
  const path = generatedPasswordPath(ctx);
  const existed = await fs.access(path).then(() => true, () => false);
  await fs.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, pw + '\n', { mode: 0o600, forceMode: true });
  if (!existed) (ctx.created ??= {}).passwordFile = path;
  ctx.password = pw;
  ctx.passwordSource = 'generated';
  ctx.passwordFile = path;
}
