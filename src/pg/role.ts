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
