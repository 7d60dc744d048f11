// The secrets guard of the end-to-end tests: every argv the wizard started (recorded by the exec adapter when
// SYNAPSE_PG_TEST_EXEC_LOG names a file, so none is missed), every output stream, every file the run wrote and the SQL that
// reached PostgreSQL (its server log, with log_statement = all) are searched for a password in each of its encodings.
import { mkdtempSync, readdirSync, readFileSync, lstatSync, existsSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A password that YAML, JSON, URLs, SQL and shells all have to escape: quotes, a backslash, a dollar and a tab. */
export function nastyPassword(random: string): string {
  return `Pw'"\\$\t${random}`;
}

/** Each way a secret can be written: raw, YAML '' and "" quoting, JSON, SQL literals, libpq conninfo, URL, hex, base64 at every alignment, and its longest alphanumeric run. */
export function secretForms(secret: string): Map<string, string> {
  const forms = new Map<string, string>();
  const add = (name: string, v: string) => {
    if (v.length >= 6 && ![...forms.values()].includes(v)) forms.set(name, v);
  };
  add('raw', secret);
  add('YAML single-quoted / SQL literal', secret.replace(/'/g, "''"));
  add("SQL E'' literal", secret.replace(/'/g, "''").replace(/\\/g, '\\\\'));
  add('backslash-escaped', secret.replace(/[\\'"]/g, '\\$&'));
  add('JSON / YAML double-quoted', JSON.stringify(secret).slice(1, -1));
  add('YAML double-quoted, / escaped', JSON.stringify(secret).slice(1, -1).replace(/\//g, '\\/'));
  add('libpq conninfo quoted', secret.replace(/[\\']/g, '\\$&'));
  add('shell single-quoted', secret.replace(/'/g, `'\\''`));
  add('URL-encoded', encodeURIComponent(secret));
  add('form-encoded', new URLSearchParams({ p: secret }).toString().slice(2));
  add('hex', Buffer.from(secret).toString('hex'));
  // its longest run of letters and digits, which every escaping leaves as it is (a fragment is a leak too)
  const core = (secret.match(/[A-Za-z0-9_-]+/g) ?? []).sort((a, b) => b.length - a.length)[0] ?? '';
  if (core.length >= 12) add('its alphanumeric core', core);
  const bytes = Buffer.from(secret);
  for (let k = 0; k < 3; k++) {
    // the secret starting k bytes into a base64 stream: the characters that depend on its bytes only
    const padded = Buffer.concat([Buffer.alloc(k), bytes]);
    const start = [0, 2, 3][k]!;
    const end = Math.floor(padded.length / 3) * 4;
    const b64 = padded.toString('base64').slice(start, end);
    add(`base64 (offset ${k})`, b64);
    add(`base64url (offset ${k})`, b64.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return forms;
}

/** The encodings of any secret that occur in text, as "secret #i as FORM". */
export function findSecrets(text: string, secrets: string[]): string[] {
  const found: string[] = [];
  secrets.forEach((s, i) => {
    for (const [name, form] of secretForms(s)) if (text.includes(form)) found.push(`secret #${i} as ${name}`);
  });
  return found;
}

interface FileStamp {
  mtimeMs: number;
  size: number;
  ino: number;
}

function walk(root: string, out: Map<string, FileStamp>): void {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const n of names) {
    const p = join(root, n);
    let st;
    try {
      st = lstatSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) walk(p, out);
    else if (st.isFile()) out.set(p, { mtimeMs: st.mtimeMs, size: st.size, ino: st.ino });
  }
}

function sizeOf(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

function readFrom(file: string, offset: number): string {
  if (!existsSync(file)) return '';
  const fd = openSync(file, 'r');
  try {
    const size = statSync(file).size;
    const buf = Buffer.alloc(Math.max(0, size - offset));
    readSync(fd, buf, 0, buf.length, offset);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

export interface GuardOptions {
  /** Directories whose new or changed files are searched (config dir, cwd, HOME, state dirs). */
  roots: string[];
  /** Files that must hold the secret (the config, the password file): they are checked for their mode instead. */
  allowed?: string[];
  /** PostgreSQL server logs (log_statement = all): what is appended during the run is searched for the plaintext. */
  pgLogs?: string[];
}

export interface GuardReport {
  /** Every argv the wizard started, in order. */
  argvs: string[][];
  /** Every file written or changed during the run. */
  written: string[];
  /** What PostgreSQL logged during the run. */
  pgLog: string;
  /** Each leak: where and in which encoding. Empty when the run kept its secrets. */
  leaks: string[];
}

export interface SecretsGuard {
  /** Environment to give the wizard: turns on the exec adapter's argv record. */
  env: Record<string, string>;
  /** Searches everything the run left; outputs are its stdout, stderr and anything else it printed. */
  finish(outputs: string[]): GuardReport;
}

/** Starts watching before the run: takes the files under each root and the length of each PostgreSQL log. */
export function startSecretsGuard(secrets: string[], opts: GuardOptions): SecretsGuard {
  if (secrets.some((s) => s.length < 8)) throw new Error('the secrets guard needs secrets of at least 8 characters (shorter ones match by chance)');
  const logDir = mkdtempSync(join(tmpdir(), 'spgw-guard-'));
  const execLog = join(logDir, 'argv.jsonl');
  const before = new Map<string, FileStamp>();
  for (const r of opts.roots) walk(r, before);
  const logOffsets = (opts.pgLogs ?? []).map((f) => [f, sizeOf(f)] as const);
  const allowed = new Set(opts.allowed ?? []);
  return {
    env: { SYNAPSE_PG_TEST_EXEC_LOG: execLog },
    finish(outputs) {
      const leaks: string[] = [];
      if (!existsSync(execLog)) leaks.push(`no argv was recorded in ${execLog}: is the built exec adapter's record hook in place?`);
      const argvs = existsSync(execLog) ? readFileSync(execLog, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]) : [];
      for (const argv of argvs) for (const f of findSecrets(argv.join('\0'), secrets)) leaks.push(`argv ${JSON.stringify(argv)}: ${f}`);
      outputs.forEach((o, i) => findSecrets(o, secrets).forEach((f) => leaks.push(`output #${i}: ${f}`)));
      const after = new Map<string, FileStamp>();
      for (const r of opts.roots) walk(r, after);
      const written = [...after].filter(([p, st]) => {
        const b = before.get(p);
        return !b || b.mtimeMs !== st.mtimeMs || b.size !== st.size || b.ino !== st.ino;
      }).map(([p]) => p);
      for (const p of written) {
        if (p === execLog) continue;
        const found = findSecrets(readFileSync(p, 'latin1') + '\n' + readFileSync(p, 'utf8'), secrets);
        if (found.length === 0) continue;
        const mode = statSync(p).mode & 0o777;
        if (!allowed.has(p)) leaks.push(`file ${p} (written by the run): ${found.join(', ')}`);
        else if (mode & 0o007) leaks.push(`file ${p} holds the secret and is readable by others (mode ${mode.toString(8)})`);
      }
      const pgLog = logOffsets.map(([f, off]) => readFrom(f, off)).join('\n');
      for (const f of findSecrets(pgLog, secrets)) leaks.push(`PostgreSQL's log: ${f}`);
      return { argvs, written, pgLog, leaks };
    },
  };
}
