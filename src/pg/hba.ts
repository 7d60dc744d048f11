// pg_hba.conf without a server: parse it like PostgreSQL, find the line a connection meets, and plan the smallest insertion that lets Synapse in with a password.
import { WizardError } from '../core/errors.js';
import { parseCidr, parseIp } from './cidr.js';
import { firstMatch, isPasswordMethod } from './hba-match.js';
import { physicalLines, tokenizeRecords, type HbaRecord, type HbaToken } from './hba-tokenize.js';

export { firstMatch, isPasswordMethod } from './hba-match.js';
export type { HbaToken } from './hba-tokenize.js';

export interface HbaRule {
  lineNumber: number; // 1-based line of the rule's first physical line
  endLineNumber: number; // last physical line (backslash continuation)
  type: string; // local | host | hostssl | hostnossl | hostgssenc | hostnogssenc | include | include_if_exists | include_dir
  databases: HbaToken[];
  users: HbaToken[];
  address?: string; // as written (CIDR, IP, host name, all, samehost, samenet)
  addressKind?: 'all' | 'samehost' | 'samenet' | 'ip' | 'hostname';
  mask?: string; // separate netmask column when the address is a bare IP
  method: string;
  options: string[];
  file?: string; // target of an include directive (PostgreSQL 16+)
}
export interface HbaFile {
  text: string;
  eol: '\n' | '\r\n';
  rules: HbaRule[];
  errors: { lineNumber: number; message: string }[];
}
export interface HbaConnection {
  type: 'local' | 'host';
  ssl: boolean; // true when the server has ssl=on and libpq's default sslmode=prefer will use it
  database: string;
  user: string;
  address?: string; // client IP (or CIDR range of possible clients) for host connections
  roles?: string[]; // roles the user is a member of; unknown membership makes +group and samerole lines "might match"
}
export type HbaDecision = { kind: 'match'; rule: HbaRule; certain: boolean; doubt?: string } | { kind: 'none' };

const CONNECTION_TYPES = new Set(['local', 'host', 'hostssl', 'hostnossl', 'hostgssenc', 'hostnogssenc']);
const INCLUDES = new Set(['include', 'include_if_exists', 'include_dir']);
const METHODS = new Set(['trust', 'reject', 'scram-sha-256', 'md5', 'password', 'gss', 'sspi', 'ident', 'peer', 'ldap', 'radius', 'cert', 'pam', 'bsd']);

/** Never throws: a line PostgreSQL would refuse goes to `errors` (and PostgreSQL then refuses the whole file on reload). */
export function parseHba(text: string): HbaFile {
  const file: HbaFile = { text, eol: /^[^\n]*\r\n/.test(text) ? '\r\n' : '\n', rules: [], errors: [] };
  for (const record of tokenizeRecords(text)) {
    const result = parseRecord(record);
    if (typeof result === 'string') file.errors.push({ lineNumber: record.lineNumber, message: result });
    else file.rules.push(result);
  }
  return file;
}

/** One record to a rule, or PostgreSQL's error message for it. */
function parseRecord({ lineNumber, endLineNumber, fields }: HbaRecord): HbaRule | string {
  const field = (i: number) => fields[i] ?? [];
  if (field(0).length > 1) return 'multiple values specified for connection type';
  const type = field(0)[0]!.value;
  const rule: HbaRule = { lineNumber, endLineNumber, type, databases: [], users: [], method: '', options: [] };
  if (INCLUDES.has(type) && fields.length === 2) return { ...rule, file: field(1)[0]!.value };
  if (!CONNECTION_TYPES.has(type)) return `invalid connection type "${type}"`;
  if (!fields[1]) return 'end-of-line before database specification';
  rule.databases = field(1);
  if (!fields[2]) return 'end-of-line before role specification';
  rule.users = field(2);
  let next = 3;
  if (type !== 'local') {
    if (!fields[3]) return 'end-of-line before IP address specification';
    if (field(3).length > 1) return 'multiple values specified for host address';
    const { value, quoted } = field(3)[0]!;
    rule.address = value;
    next = 4;
    if (!quoted && (value === 'all' || value === 'samehost' || value === 'samenet')) rule.addressKind = value;
    else if (!parseIp(value.split('/')[0]!)) {
      if (value.includes('/')) return `specifying both host name and CIDR mask is invalid: "${value}"`;
      rule.addressKind = 'hostname';
    } else if (value.includes('/')) {
      if (!parseCidr(value)) return `invalid CIDR mask in address "${value}"`;
      rule.addressKind = 'ip';
    } else {
      if (!fields[4]) return 'end-of-line before netmask specification';
      if (field(4).length > 1) return 'multiple values specified for netmask';
      const mask = field(4)[0]!.value;
      const parsed = parseIp(mask);
      if (!parsed) return `invalid IP mask "${mask}"`;
      if (parsed.family !== parseIp(value)!.family) return 'IP address and mask do not match';
      rule.addressKind = 'ip';
      rule.mask = mask;
      next = 5;
    }
  }
  if (!fields[next]) return 'end-of-line before authentication method';
  if (field(next).length > 1) return 'multiple values specified for authentication type';
  rule.method = field(next)[0]!.value;
  if (!METHODS.has(rule.method)) return `invalid authentication method "${rule.method}"`;
  if (rule.method === 'peer' && type !== 'local') return 'peer authentication is only supported on local sockets';
  if (rule.method === 'cert' && type !== 'hostssl') return 'cert authentication is only supported on hostssl connections';
  rule.options = fields.slice(next + 1).flat().map((t) => t.value);
  const bad = rule.options.find((o) => !o.includes('='));
  return bad === undefined ? rule : `authentication option not in "name=value" format: ${bad}`;
}

export interface HbaInsertRequest {
  database: string;
  user: string;
  addresses: string[]; // CIDRs, e.g. ['127.0.0.1/32', '::1/128'] for host "localhost"
  method: 'scram-sha-256' | 'md5';
  ssl: boolean;
  roles?: string[];
  comment: string; // one comment line written above each group of inserted lines
}
export interface HbaInsertPlan {
  text: string; // the new file text (=== input text when nothing is needed)
  needed: boolean;
  inserted: { beforeLineNumber: number | null; lines: string[] }[]; // null = appended at the end; lines include the comment
  perAddress: { address: string; before: HbaDecision; reason: string }[];
  errors: HbaFile['errors']; // lines PostgreSQL refuses: while any remain, a reload keeps the old rules
}

/** Inserts `host DB USER CIDR METHOD` just before the first line that does (or might) catch each address, or appends it when none does. */
export function planHbaInsert(text: string, req: HbaInsertRequest): HbaInsertPlan {
  const file = parseHba(text);
  const rules = [...file.rules]; // the file as PostgreSQL would read it, with our planned lines in place
  const groups = new Map<number | null, string[]>();
  const planned = new Map<HbaRule, number | null>(); // our lines, and the line each goes before
  const perAddress: HbaInsertPlan['perAddress'] = [];
  for (const address of req.addresses) {
    const cidr = normalizeCidr(address);
    const conn: HbaConnection = { type: 'host', ssl: req.ssl, database: req.database, user: req.user, address: cidr, roles: req.roles };
    const before = firstMatch({ ...file, rules }, conn);
    if (before.kind === 'match' && before.certain && (isPasswordMethod(before.rule.method) || before.rule.method === 'trust')) {
      perAddress.push({ address, before, reason: acceptedReason(before.rule, file, planned.has(before.rule)) });
      continue;
    }
    const afterOurs = before.kind === 'match' && planned.has(before.rule);
    const at = before.kind === 'none' ? null : afterOurs ? planned.get(before.rule)! : before.rule.lineNumber;
    const line = formatRule(['host', quoteName(req.database, 'database'), quoteName(req.user, 'user'), cidr, req.method], columnsFor(file, at));
    groups.set(at, [...(groups.get(at) ?? []), line]);
    const ours = parseHba(line).rules[0]!;
    planned.set(ours, at);
    rules.splice(before.kind === 'match' ? rules.indexOf(before.rule) : rules.length, 0, ours);
    perAddress.push({ address, before, reason: neededReason(before, file, cidr, afterOurs) });
  }
  const comment = commentLine(req.comment);
  const inserted = [...groups.entries()]
    .sort(([a], [b]) => (a ?? Infinity) - (b ?? Infinity))
    .map(([beforeLineNumber, lines]) => ({ beforeLineNumber, lines: [comment, ...lines] }));
  return { text: applyInserts(text, file.eol, inserted), needed: inserted.length > 0, inserted, perAddress, errors: file.errors };
}

function normalizeCidr(address: string): string {
  const range = parseCidr(address);
  if (!range) throw new WizardError('BAD_INPUT', `"${address}" is not an IP address or CIDR range.`, { hint: 'Use a form like 127.0.0.1/32 or ::1/128.' });
  return address.includes('/') ? address : `${address}/${range.family === 4 ? 32 : 128}`;
}

/** Database and role names as pg_hba.conf needs them: quoted when they would otherwise read as keywords, groups, files or lists. */
function quoteName(name: string, kind: 'database' | 'user'): string {
  if (name === '' || /[\r\n]/.test(name) || name.startsWith('/') || name.endsWith('\\')) {
    throw new WizardError('BAD_INPUT', `The ${kind} name "${name}" cannot be written into pg_hba.conf as a plain name.`, { hint: 'Use letters, digits, "_" or "-".' });
  }
  const keywords = kind === 'database' ? ['all', 'sameuser', 'samerole', 'samegroup', 'replication'] : ['all'];
  const plain = !keywords.includes(name) && !/^[+@]/.test(name) && !/[\s,#"]/.test(name);
  return plain ? name : `"${name.replace(/"/g, '""')}"`;
}

function commentLine(comment: string): string {
  const oneLine = comment.replace(/[\r\n]+/g, ' ').replace(/\\+$/, '').trim(); // a trailing backslash would swallow our rule
  return oneLine.startsWith('#') ? oneLine : `# ${oneLine}`;
}

const DEFAULT_COLUMNS = [0, 8, 24, 40, 64]; // the layout of the files initdb and the distributions ship

/** Column starts of a one-line host rule near the insertion point, so the new line lines up with its neighbours. */
function columnsFor(file: HbaFile, at: number | null): number[] {
  const lines = physicalLines(file.text);
  const candidates = file.rules.filter((r) => r.type.startsWith('host') && r.lineNumber === r.endLineNumber && r.mask === undefined);
  const preferred = [
    candidates.find((r) => r.lineNumber === at),
    [...candidates].reverse().find((r) => at === null || r.lineNumber < at),
    ...candidates,
  ];
  for (const rule of preferred) {
    const m = rule && /^( *\S+ +)(\S+ +)(\S+ +)(\S+ +)\S/.exec(lines[rule.lineNumber - 1]!);
    if (!m) continue;
    const starts = [m[1]!.length - m[1]!.trimStart().length];
    let end = 0;
    for (const part of m.slice(1, 5)) starts.push((end += part.length));
    return starts;
  }
  return DEFAULT_COLUMNS;
}

function formatRule(fields: string[], columns: number[]): string {
  return fields.reduce((line, f, i) => (i === 0 ? ' '.repeat(columns[0] ?? 0) + f : line + ' '.repeat(Math.max(1, (columns[i] ?? 0) - line.length)) + f), '');
}

function applyInserts(text: string, eol: string, inserted: HbaInsertPlan['inserted']): string {
  if (inserted.length === 0) return text;
  const pieces = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const block = (lines: string[]) => lines.map((l) => l + eol).join('');
  let appended = '';
  for (const { beforeLineNumber, lines } of inserted) {
    if (beforeLineNumber !== null) {
      pieces[beforeLineNumber - 1] = block(lines) + pieces[beforeLineNumber - 1];
      continue;
    }
    const last = pieces[pieces.length - 1] ?? '\n';
    const ending = last.endsWith('\n') ? '' : eol;
    const closeContinuation = /\\\r*\n?$/.test(last) ? eol : ''; // a blank line ends a record left open by a final backslash
    appended = ending + closeContinuation + (ending ? block(lines).slice(0, -eol.length) : block(lines));
  }
  return pieces.join('') + appended;
}

function ruleText(rule: HbaRule, file: HbaFile): string {
  return physicalLines(file.text).slice(rule.lineNumber - 1, rule.endLineNumber).join(' ').replace(/\s+/g, ' ').trim();
}

function acceptedReason(rule: HbaRule, file: HbaFile, ours: boolean): string {
  const how = rule.method === 'trust' ? 'without a password (trust)' : `with a password (${rule.method})`;
  if (ours) return `a line planned for an earlier address already accepts it ${how}`;
  return `line ${rule.lineNumber} ("${ruleText(rule, file)}") already accepts it ${how}`;
}

function neededReason(before: HbaDecision, file: HbaFile, cidr: string, ours: boolean): string {
  if (before.kind === 'none') return `no line matches TCP connections from ${cidr}, so PostgreSQL rejects them ("no pg_hba.conf entry"); appended a line at the end`;
  const where = ours ? 'a line planned for an earlier address' : `line ${before.rule.lineNumber} ("${ruleText(before.rule, file)}")`;
  if (!before.certain) return `${where} might match first (${before.doubt ?? 'not decidable here'}); inserted a certain line before it`;
  return `${where} matches first and uses ${before.rule.method}, not a password; inserted a line before it`;
}
