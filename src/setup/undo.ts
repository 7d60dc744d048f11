// A setup run that fails after changing something undoes what it created itself (the database, then the role, then a generated
// password file), so the system is as before and a rerun starts clean. What it must not undo (the config already written, a
// pg_hba.conf line that other logins may now use) is named instead, and the rerun continues from it.
import { removeFile } from '../adapters/files.js';
import { toWizardError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { redact } from '../core/redact.js';
import { quoteIdent } from '../pg/identifiers.js';
import type { SetupContext } from './context.js';

/** Undoes or names what this run created; returns one sentence for the run's final message ('' when nothing was changed). */
export async function undoSetup(ctx: SetupContext, emit: EventSink): Promise<string> {
  const c = ctx.created;
  if (!c) return '';
  const said: string[] = [];
  const left: string[] = [];
  if (c.configWritten) {
    // Synapse's config already names the role and database: dropping them would break it, so they stay for the rerun.
    left.push(`the database: section in ${c.configWritten}`);
    if (c.role) left.push(`role ${c.role}`);
    if (c.database) left.push(`database ${c.database}`);
    if (c.passwordFile) left.push(`password file ${c.passwordFile}`);
  } else {
    const done: string[] = [];
    const admin = ctx.admin;
    const step = async (what: string, fn: () => Promise<void>) => {
      try {
        await fn();
        done.push(what);
      } catch (e) {
        left.push(`${what.replace(/^(dropped|removed) /, '')} (undoing it failed: ${toWizardError(e).message})`);
      }
    };
    // only what this run created: a database nothing else has used yet, a role that owns nothing else
    if (c.database && admin) await step(`dropped database ${c.database}`, () => admin.exec(`DROP DATABASE IF EXISTS ${quoteIdent(c.database!)}`));
    if (c.role && admin) await step(`dropped role ${c.role}`, () => admin.exec(`DROP ROLE IF EXISTS ${quoteIdent(c.role!)}`));
    if (c.passwordFile) await step(`removed password file ${c.passwordFile}`, () => removeFile(c.passwordFile!));
    if (done.length) said.push(`Undone: ${done.join(', ')}.`);
  }
  if (c.hbaEdited) left.push(`the pg_hba.conf line(s) in ${c.hbaEdited}, harmless and reused by the rerun`);
  if (left.length) said.push(`Left in place for the rerun to continue from: ${left.join('; ')}.`);
  for (const m of said) emit({ event: 'log', id: 'setup-undo', level: 'warn', message: redact(m) });
  ctx.created = undefined;
  return said.join(' ');
}
