// Logging in exactly as Synapse does, with the failure kept as a value for the diagnoses to read.
import { loginAsSynapse, type LoginResult } from '../adapters/pg-login.js';
import { isWizardError, type WizardError } from '../core/errors.js';
import { pgErrorToWizard } from '../adapters/pg-errors.js';
import { synapseArgs, type DoctorContext } from './context.js';

export type LoginOutcome = { ok: true; logins: LoginResult[] } | { ok: false; error: WizardError } | { ok: 'skip'; why: string };

export async function tryLogin(ctx: DoctorContext): Promise<LoginOutcome> {
  if (!ctx.onPostgres) return { ok: 'skip', why: 'the config does not use PostgreSQL' };
  const args = synapseArgs(ctx);
  if (!args) return { ok: 'skip', why: 'database.args has no password' };
  if (!args.host || args.host.startsWith('/')) return { ok: 'skip', why: 'Synapse connects through the Unix socket' };
  try {
    return { ok: true, logins: await loginAsSynapse(args, 5000) };
  } catch (e) {
    // a name that does not resolve fails before libpq's mapping (the address lookup comes first)
    return { ok: false, error: isWizardError(e) ? e : pgErrorToWizard(e, `${args.user}@${args.host}:${args.port}/${args.dbname}`) };
  }
}

export async function loginProof(ctx: DoctorContext): Promise<string> {
  const r = await tryLogin(ctx);
  if (r.ok === true) return `Logged in as Synapse does (${ctx.target.user}@${r.logins.map((l) => l.address).join(', ')}:${ctx.target.port}/${ctx.target.dbname}).`;
  if (r.ok === 'skip') return '';
  throw r.error;
}
