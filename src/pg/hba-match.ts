// Decides, with PostgreSQL's first-match rules, which pg_hba.conf line a connection meets, and says when that depends on something we cannot see.
import type { HbaConnection, HbaDecision, HbaFile, HbaRule } from './hba.js';
import type { HbaToken } from './hba-tokenize.js';
import { isLoopback, parseCidr, parseIp, rangeRelation, type IpRange } from './cidr.js';

type Verdict = { r: 'yes' | 'no' } | { r: 'maybe'; doubt: string };
const YES: Verdict = { r: 'yes' };
const NO: Verdict = { r: 'no' };
const maybe = (doubt: string): Verdict => ({ r: 'maybe', doubt });

export function isPasswordMethod(method: string): boolean {
  return method === 'scram-sha-256' || method === 'md5' || method === 'password';
}

/** The first line that matches (certain) or might match (certain=false, with the doubt); `none` means PostgreSQL rejects the connection. */
export function firstMatch(file: HbaFile, conn: HbaConnection): HbaDecision {
  const client = conn.type === 'host' && conn.address !== undefined ? parseCidr(conn.address) : null;
  for (const rule of file.rules) {
    const v = ruleVerdict(rule, conn, client);
    if (v.r === 'yes') return { kind: 'match', rule, certain: true };
    if (v.r === 'maybe') return { kind: 'match', rule, certain: false, doubt: v.doubt };
  }
  return { kind: 'none' };
}

function ruleVerdict(rule: HbaRule, conn: HbaConnection, client: IpRange | null): Verdict {
  if (rule.type.startsWith('include')) return maybe(`"${rule.type} ${rule.file ?? ''}" pulls in lines this check cannot read`);
  if (!typeMatches(rule.type, conn)) return NO;
  const verdicts = [
    conn.type === 'local' ? YES : addressVerdict(rule, client),
    anyOf(rule.databases, (t) => databaseVerdict(t, conn)),
    anyOf(rule.users, (t) => userVerdict(t, conn)),
  ];
  return verdicts.find((v) => v.r === 'no') ?? verdicts.find((v) => v.r === 'maybe') ?? YES;
}

function anyOf(tokens: HbaToken[], check: (t: HbaToken) => Verdict): Verdict {
  const verdicts = tokens.map(check);
  return verdicts.find((v) => v.r === 'yes') ?? verdicts.find((v) => v.r === 'maybe') ?? NO;
}

function typeMatches(type: string, conn: HbaConnection): boolean {
  if (conn.type === 'local') return type === 'local';
  switch (type) {
    case 'host':
    case 'hostnogssenc':
      return true;
    case 'hostssl':
      return conn.ssl;
    case 'hostnossl':
      return !conn.ssl;
    default:
      return false; // local never matches TCP; hostgssenc needs GSSAPI encryption, which Synapse does not use
  }
}

function addressVerdict(rule: HbaRule, client: IpRange | null): Verdict {
  const address = rule.address ?? '';
  if (rule.addressKind === 'all') return YES;
  if (!client) return maybe('the client address is not known');
  if (rule.addressKind === 'samehost' || rule.addressKind === 'samenet') {
    return isLoopback(client) ? YES : maybe(`"${address}" depends on this server's network interfaces`);
  }
  if (rule.addressKind === 'hostname') {
    // 127.0.0.1 reverse-resolves to "localhost" everywhere; ::1 only where /etc/hosts lists it (not in many containers).
    if (address.toLowerCase() === 'localhost' && client.family === 4 && client.mask.every((b) => b === 0xff) && isLoopback(client)) return YES;
    return maybe(`host name "${address}" depends on reverse and forward DNS lookups of the client address`);
  }
  const range = ruleRange(rule);
  if (!range) return maybe(`address "${address}" could not be read`);
  const relation = rangeRelation(range, client);
  if (relation === 'contains') return YES;
  return relation === 'disjoint' ? NO : maybe(`"${address}" covers only part of the client range`);
}

function ruleRange(rule: HbaRule): IpRange | null {
  if (!rule.address) return null;
  if (rule.mask === undefined) return parseCidr(rule.address);
  const ip = parseIp(rule.address);
  const mask = parseIp(rule.mask);
  return ip && mask && ip.family === mask.family ? { family: ip.family, addr: ip.bytes, mask: mask.bytes } : null;
}

function databaseVerdict(t: HbaToken, conn: HbaConnection): Verdict {
  if (!t.quoted) {
    if (t.value === 'all') return YES;
    if (t.value === 'sameuser') return conn.database === conn.user ? YES : NO;
    if (t.value === 'samerole' || t.value === 'samegroup') return memberVerdict(conn, conn.database);
    if (t.value === 'replication') return NO; // only replication connections, never ours
    if (t.value.length > 1 && t.value.startsWith('@')) return maybe(`"${t.value}" reads names from a file`);
  }
  if (t.value.startsWith('/')) return regexVerdict(t.value, conn.database);
  return t.value === conn.database ? YES : NO;
}

function userVerdict(t: HbaToken, conn: HbaConnection): Verdict {
  if (!t.quoted) {
    if (t.value.startsWith('+')) return memberVerdict(conn, t.value.slice(1));
    if (t.value === 'all') return YES;
    if (t.value.length > 1 && t.value.startsWith('@')) return maybe(`"${t.value}" reads names from a file`);
  }
  if (t.value.startsWith('/')) return regexVerdict(t.value, conn.user);
  return t.value === conn.user ? YES : NO;
}

/** A role is a member of itself; superuser status does not count (PostgreSQL's is_member ignores it). */
function memberVerdict(conn: HbaConnection, role: string): Verdict {
  if (role === conn.user || conn.roles?.includes(role)) return YES;
  return conn.roles ? NO : maybe(`whether "${conn.user}" is a member of role "${role}" is not known`);
}

/** PostgreSQL 16+ reads `/...` as a regular expression, 15 as a literal name; a JS RegExp is close enough to rule out a match. */
function regexVerdict(value: string, name: string): Verdict {
  const doubt = `"${value}" is a regular expression on PostgreSQL 16+ and a literal name before`;
  if (value === name) return maybe(doubt);
  try {
    return new RegExp(value.slice(1)).test(name) ? maybe(doubt) : NO;
  } catch {
    return maybe(doubt);
  }
}
