// What setup can know before its first change about writing the config: that Synapse's own YAML loader (PyYAML safe_load,
// run where Synapse's Python runs) reads every file, that database: holds no YAML anchors or aliases a rewrite would break,
// that the file can be written (not read-only, not immutable or append-only) with room for it and its backup, and that
// something listens where Synapse will connect. Each problem is a sentence with a fix.
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { isAlias, isNode, parseDocument, visit } from 'yaml';
import { createExecutor, runArgv, type Executor } from '../adapters/exec.js';
import type { LoadedConfig } from '../config/load.js';
import { canWrite, exists, freeBytes, readText, resolveTarget } from '../adapters/files.js';
import type { SetupContext } from './context.js';

export interface Problem {
  message: string;
  hint: string;
}

const PYYAML = `import sys, yaml
try:
    yaml.safe_load(sys.stdin.read())
    print("SPGW-YAML ok")
except yaml.YAMLError as e:
    print("SPGW-YAML " + " ".join(str(e).split()))
except Exception as e:
    print("SPGW-YAML " + type(e).__name__ + ": " + str(e))
`;

/** PyYAML's verdict on one file's text; undefined when no PyYAML could be run here (then nothing is claimed). */
async function pyyamlError(exec: Executor, text: string): Promise<string | undefined> {
  const r = await exec.run(['python3', '-c', PYYAML], { input: text, timeoutMs: 60_000 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('SPGW-YAML '));
  if (!line || line === 'SPGW-YAML ok') return undefined;
  return line.slice(10);
}

/** Anchors (&x) or aliases (*x) inside database:, or aliases elsewhere to anchors defined there. */
export function databaseAnchors(text: string): string | undefined {
  const doc = parseDocument(text, { uniqueKeys: false });
  const db = doc.get('database', true);
  if (!isNode(db)) return undefined;
  const inside: string[] = [];
  visit(db, (_k, n) => {
    if (isAlias(n)) inside.push(`alias *${n.source}`);
    else if (isNode(n) && n.anchor) inside.push(`anchor &${n.anchor}`);
  });
  return inside.length ? inside.join(', ') : undefined;
}

/** lsattr's flags of a path ('i' immutable, 'a' append-only); '' where the file system has none. */
async function attrFlags(path: string): Promise<string> {
  const r = await runArgv(['lsattr', '-d', '--', path], { timeoutMs: 10_000 });
  if (r.exitCode !== 0) return '';
  return r.stdout.trim().split(/\s+/)[0] ?? '';
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

async function writeProblems(path: string, what: string): Promise<Problem[]> {
  const out: Problem[] = [];
  const real = await resolveTarget(path);
  // the nearest directory that exists (a generated password file's .synapse-pg/ is made on the way)
  let dir = dirname(real);
  while (!(await exists(dir)) && dirname(dir) !== dir) dir = dirname(dir);
  for (const [p, kind] of [[real, 'file'], [dir, 'directory']] as const) {
    if (!(await exists(p))) continue;
    const flags = await attrFlags(p);
    if (/i/.test(flags)) out.push({ message: `${cap(what)} ${kind} ${p} is immutable (chattr +i): it cannot be written, not even by root.`, hint: `Run chattr -i ${p} if the change is wanted, then run again.` });
    else if (/a/.test(flags)) out.push({ message: `${cap(what)} ${kind} ${p} is append-only (chattr +a): it cannot be rewritten.`, hint: `Run chattr -a ${p}, then run again.` });
  }
  if (!out.length && (await exists(real)) && !(await canWrite(real))) out.push({ message: `${cap(what)} ${real} cannot be written by this user, or its file system is read-only.`, hint: 'Run as root, or remount the file system read-write, then run again.' });
  if (!out.length && !(await canWrite(`${dir}/.synapse-pg-write-test`))) out.push({ message: `The directory ${dir} cannot be written (${what} ${real} is written there), or its file system is read-only.`, hint: 'Run as root, or make the directory writable (remount read-write), then run again.' });
  return out;
}

async function spaceProblem(path: string, need: number, what: string): Promise<Problem | undefined> {
  let dir = dirname(await resolveTarget(path));
  while (!(await exists(dir)) && dirname(dir) !== dir) dir = dirname(dir);
  const free = await freeBytes(dir);
  if (free === undefined || free >= need) return undefined;
  return { message: `Only ${free} bytes are free where ${what} ${path} is written; the edit needs ${need} (the new file and its backup).`, hint: 'Free some space on that file system, then run again.' };
}

function listening(host: string, port: number, timeoutMs = 3000): Promise<string | undefined> {
  return new Promise((res) => {
    const s = connect({ host, port });
    const done = (why?: string) => {
      s.destroy();
      res(why);
    };
    s.setTimeout(timeoutMs, () => done('timed out'));
    s.once('connect', () => done(undefined));
    s.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
}

export interface PlannedWrite {
  path: string;
  bytes: number;
  what: string;
}

/** The config as Synapse's loader reads it (PyYAML through `exec`), database: without anchors, and every planned write possible. */
export async function configProblems(exec: Executor, config: LoadedConfig | null | undefined, writes: PlannedWrite[]): Promise<Problem[]> {
  const out: Problem[] = [];
  for (const f of config?.files ?? []) {
    const err = await pyyamlError(exec, f.text);
    if (err) out.push({ message: `Synapse's YAML loader (PyYAML safe_load) rejects ${f.path}: ${err}`, hint: 'Synapse would not start with this file; fix it (the error names the line), then run again.' });
  }
  const dbFile = config?.databaseFile;
  if (dbFile) {
    const anchors = databaseAnchors(await readText(dbFile.path));
    if (anchors) out.push({ message: `The database: section of ${dbFile.path} uses YAML ${anchors}; rewriting it would change or break what refers to them.`, hint: 'Write database: out without anchors and aliases, then run again.' });
  }
  for (const w of writes) {
    out.push(...(await writeProblems(w.path, w.what)));
    const space = await spaceProblem(w.path, w.bytes, w.what);
    if (space) out.push(space);
  }
  return out;
}

/** Everything setup can know before its first change; [] when the config can be written and Synapse's address answers. */
export async function setupPreflight(ctx: SetupContext, writes: PlannedWrite[]): Promise<Problem[]> {
  const out = await configProblems(createExecutor(ctx.opts.synapseExec ?? { kind: 'local' }), ctx.config, writes);
  const host = ctx.opts.dbHost;
  if (host && !host.startsWith('/')) {
    const why = await listening(host, ctx.opts.dbPort);
    if (why) out.push({ message: `Nothing answers on ${host}:${ctx.opts.dbPort}, where Synapse will connect (${why}).`, hint: 'Check --db-host/--db-port (or host/port in database.args) and that PostgreSQL listens there (listen_addresses, port).' });
  }
  return out;
}
