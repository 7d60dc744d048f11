// The login role Synapse connects as: its row in pg_authid, and the statement that sets its password as a verifier computed here, never the plaintext.
import type { PgAdmin } from '../adapters/pg-admin.js';
import { quoteIdent, quoteLiteral } from './identifiers.js';
import { md5Verifier, scramVerifier } from './scram.js';

export interface RoleRow {
  rolcanlogin: boolean;
  rolsuper: boolean;
  rolpassword: string | null;
}

export async function roleRow(admin: PgAdmin, user: string): Promise<RoleRow | undefined> {
  const [row] = await admin.query<RoleRow>(`SELECT rolcanlogin, rolsuper, rolpassword FROM pg_authid WHERE rolname = ${quoteLiteral(user)}`);
  return row;
}

/** CREATE/ALTER ROLE ... LOGIN PASSWORD with the verifier the server's password_encryption expects (md5, else SCRAM-SHA-256). */
export function rolePasswordSql(verb: 'CREATE' | 'ALTER', user: string, password: string, passwordEncryption: string | undefined): string {
  const verifier = passwordEncryption === 'md5' ? md5Verifier(password, user) : scramVerifier(password);
  return `${verb} ROLE ${quoteIdent(user)} LOGIN PASSWORD ${quoteLiteral(verifier)}`;
}

/** The same statement as plans show it: the verifier is as good as a password hash, so `shown` stands in for it. */
export function shownRolePasswordSql(verb: 'CREATE' | 'ALTER', user: string, shown: string): string {
  return `${verb} ROLE ${quoteIdent(user)} LOGIN PASSWORD '<${shown}>'`;
}

/** pg_roles' row when pg_authid is closed (a CREATEROLE admin, not a superuser): the password verifier is not readable. */
export async function roleRowAs(admin: PgAdmin, user: string, superuser: boolean): Promise<RoleRow | undefined> {
  if (superuser) return roleRow(admin, user);
  const [row] = await admin.query<RoleRow>(`SELECT rolcanlogin, rolsuper, NULL::text AS rolpassword FROM pg_roles WHERE rolname = ${quoteLiteral(user)}`);
  return row;
}

/**
 * CREATE DATABASE ... OWNER r needs the creator to be able to SET ROLE r. A superuser always can; a CREATEROLE admin must be
 * granted r: before PostgreSQL 16 plain membership (CREATEROLE may grant any role that is not a superuser), from 16 on the
 * SET option, which the creator of a role may grant because creating it gave it ADMIN OPTION (INHERIT FALSE: the admin
 * does not take on Synapse's privileges).
 */
export function grantToAdminSql(role: string, adminRole: string, serverVersionNum: number): string {
  const base = `GRANT ${quoteIdent(role)} TO ${quoteIdent(adminRole)}`;
  return serverVersionNum >= 160000 ? `${base} WITH INHERIT FALSE, SET TRUE` : base;
}

export async function adminCanSetRole(admin: PgAdmin, role: string, serverVersionNum: number): Promise<boolean> {
  const [r] = await admin.query<{ ok: boolean }>(`SELECT pg_has_role(current_user, ${quoteLiteral(role)}, ${serverVersionNum >= 160000 ? "'SET'" : "'MEMBER'"}) AS ok`);
  return !!r?.ok;
}
