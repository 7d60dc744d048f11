// PostgreSQL that is not ours to edit (another host, or an admin that is not a superuser): instead of editing pg_hba.conf,
// prove Synapse's login, and when pg_hba.conf refuses it, name the exact line the server's admin has to add.
import { loginAsSynapse, type LoginResult } from '../adapters/pg-login.js';
import { verifiesCa } from '../adapters/pg-tls.js';
import { isWizardError } from '../core/errors.js';
import type { CheckResult, VerifyResult } from '../core/step.js';
import { quoteIdent, quoteLiteral } from '../pg/identifiers.js';
import { requireAdmin, synapseDbArgs, type SetupContext } from './context.js';
import { clientCidrs } from './client-address.js';

/** Why pg_hba.conf is not the wizard's to edit here; undefined when it is (a local server and a superuser). */
export async function remoteReason(ctx: SetupContext): Promise<string | undefined> {
  if (ctx.server && !ctx.server.superuser) return `the admin connection (${ctx.server.adminRole}) is not a superuser, so pg_hba.conf cannot be read`;
  // a container's networks told by the engine (--service compose:/docker:) mean PostgreSQL is on this host, at the bridge's gateway
  if (ctx.opts.clientNetworks?.length) return undefined;
  if (!(await clientCidrs(ctx.opts.dbHost))) return `PostgreSQL is on another host (${ctx.opts.dbHost}), whose pg_hba.conf is its admin's`;
  return undefined;
}

/** pg_hba.conf's own quoting: a name that is not plain lower case goes in double quotes. */
function hbaName(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : quoteIdent(name);
}

/** The line for Synapse's login from `address`: hostssl when the connection uses TLS, the server's password method. */
export function hbaLineFor(ctx: SetupContext, address: string): string {
  const tls = !!ctx.opts.dbTls?.sslmode && ctx.opts.dbTls.sslmode !== 'disable';
  const cidr = address.includes(':') ? `${address}/128` : `${address}/32`;
  const method = ctx.server?.passwordEncryption === 'md5' ? 'md5' : 'scram-sha-256';
  return `${tls ? 'hostssl' : 'host'}    ${hbaName(ctx.opts.dbName)}    ${hbaName(ctx.opts.dbUser)}    ${cidr}    ${method}`;
}

/** The client address in "no pg_hba.conf entry for host "10.0.0.5", user ..." (what the server saw for this very login). */
export function refusedHost(message: string): string | undefined {
  return /no pg_hba\.conf entry for host "([^"]+)"/.exec(message)?.[1];
}

export type RemoteLogin = { ok: true; logins: LoginResult[] } | { ok: false; line?: string; message: string; hint?: string };

/** Synapse's login as it will be made; a pg_hba.conf refusal comes back with the line to add. */
export async function proveRemoteLogin(ctx: SetupContext): Promise<RemoteLogin> {
  try {
    return { ok: true, logins: await loginAsSynapse(synapseDbArgs(ctx)) };
  } catch (e) {
    if (!isWizardError(e)) throw e;
    const address = refusedHost(e.message) ?? ctx.server?.clientAddr;
    if (address && /no pg_hba\.conf entry/.test(e.message)) return { ok: false, line: hbaLineFor(ctx, address), message: e.message };
    return { ok: false, message: e.message, hint: e.hint };
  }
}

/** Both exist already, so a login can be tried now (a preflight checks every step before the role and database are made). */
async function roleAndDatabaseExist(ctx: SetupContext): Promise<boolean> {
  const [r] = await requireAdmin(ctx).query<{ ok: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${quoteLiteral(ctx.opts.dbUser)}) AND EXISTS (SELECT 1 FROM pg_database WHERE datname = ${quoteLiteral(ctx.opts.dbName)}) AS ok`,
  );
  return !!r?.ok;
}

/** The failure as the admin reads it: PostgreSQL's refusal, why the wizard does not edit pg_hba.conf, and the line. */
function refusal(r: Extract<RemoteLogin, { ok: false }>, reason: string): { message: string; hint?: string } {
  if (!r.line) return { message: `Synapse's login does not work yet: ${r.message}`, hint: r.hint ?? 'Run synapse-pg doctor for a diagnosis.' };
  return {
    message: `PostgreSQL refuses Synapse's login: ${r.message}. ${reason[0]!.toUpperCase()}${reason.slice(1)}, so the wizard cannot add the line itself. Line for the database admin to add to pg_hba.conf (above any line that matches first), then reload PostgreSQL:\n${r.line}`,
    hint: `Ask the database admin to add exactly this line and reload (SELECT pg_reload_conf();), then run the wizard again:\n  ${r.line}\nThe address is the one the server sees this host connect from; if Synapse runs elsewhere (a container, another machine), use that one. On a managed service, allow this address in the console's network rules (allowed IPs, security group) instead.`,
  };
}

export async function remoteHbaVerify(ctx: SetupContext, reason: string): Promise<VerifyResult> {
  const r = await proveRemoteLogin(ctx);
  if (r.ok) return { ok: true, message: `${ctx.opts.dbUser} logged in with its password (${r.logins.map((l) => l.address).join(', ')}:${ctx.opts.dbPort}).` };
  return { ok: false, ...refusal(r, reason) };
}

export async function remoteHbaCheck(ctx: SetupContext, reason: string): Promise<CheckResult> {
  if (ctx.password === undefined || !(await roleAndDatabaseExist(ctx))) {
    // before the role and database steps (a preflight, a dry run): nothing to prove yet, and nothing for this step to change
    return { status: 'skip', message: `pg_hba.conf is left to the server's admin (${reason}); once the role and database exist, this step logs in as Synapse will and, if pg_hba.conf refuses it, prints the line to add.` };
  }
  const r = await proveRemoteLogin(ctx);
  if (r.ok) {
    const how = verifiesCa(ctx.opts.dbTls) ? ` over TLS (sslmode ${ctx.opts.dbTls!.sslmode})` : ctx.opts.dbTls?.sslmode ? ` (sslmode ${ctx.opts.dbTls.sslmode})` : '';
    return { status: 'done', message: `The server accepts ${ctx.opts.dbUser}'s login with its password${how} (${r.logins.map((l) => l.address).join(', ')}:${ctx.opts.dbPort}); pg_hba.conf is left to the server's admin (${reason}).` };
  }
  return { status: 'blocked', code: 'PG_AUTH', ...refusal(r, reason) };
}
