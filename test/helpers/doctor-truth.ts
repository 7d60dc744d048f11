// Shared by the doctor's ground-truth tests: Synapse configs with a psycopg2 database: section, the findings of a --json run,
// and a digest of everything a read-only diagnosis must leave as it was.
import { after } from 'node:test';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setDatabaseSection } from '../../src/config/database-block.js';
import { hostMemory, recommend } from '../../src/doctor/tuning.js';
import type { Cluster } from './cluster.js';
import type { CliResult } from './cli.js';
import { digestDatabase } from './pg-digest.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'generated', 'homeserver.yaml');
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

export const KEEPALIVES = { keepalives_idle: 10, keepalives_interval: 10, keepalives_count: 3 };
export const tunedConf = (maxConnections = 50) => Object.entries(recommend(hostMemory(), maxConnections)).map(([k, v]) => `${k} = '${v}MB'`).join('\n');
/** A password holding every character that breaks naive quoting: ' " \ $ and a tab. */
export const pw = () => `a'b"c\\d$e\tf${randomBytes(6).toString('base64url')}`;
export const sqlLit = (s: string) => `'${s.replace(/'/g, "''")}'`;

export function config(args: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'spgw-truth-'));
  dirs.push(dir);
  const path = join(dir, 'homeserver.yaml');
  writeFileSync(path, setDatabaseSection(readFileSync(FIXTURE, 'utf8').replaceAll('/tmp/gen', dir), { name: 'psycopg2', args }), { mode: 0o640 });
  return path;
}

export function rewrite(path: string, args: Record<string, unknown>): void {
  writeFileSync(path, setDatabaseSection(readFileSync(path, 'utf8'), { name: 'psycopg2', args }));
}

export function findings(r: CliResult): Record<string, { fixed: boolean; severity: string; evidence: string; fix: string }> {
  return Object.fromEntries(r.events.filter((e) => e.event === 'finding').map((e) => [String(e.id), { fixed: e.fixed as boolean, severity: String(e.severity), evidence: String(e.evidence), fix: String(e.fix) }]));
}

/** Everything the read-only diagnosis must leave as it was: roles, databases, settings, Synapse's data. */
export async function pgState(c: Cluster, password: string): Promise<string> {
  const cat = c.psql(`SELECT rolname, rolcanlogin, rolconnlimit, rolvaliduntil, rolpassword FROM pg_authid ORDER BY 1; SELECT datname, datacl, datconnlimit FROM pg_database ORDER BY 1; SELECT name, setting FROM pg_settings WHERE source NOT IN ('default', 'override') ORDER BY 1;`);
  const data = await digestDatabase({ host: c.socketDir, port: c.port, user: 'postgres', database: 'synapse' }).catch(() => undefined);
  return JSON.stringify({ cat: cat.replace(password, '<pw>'), data });
}
