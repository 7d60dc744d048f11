// The only edit the wizard makes to a user's Synapse config: swap the top-level `database:` block, leaving every other byte alone.
import { isDeepStrictEqual } from 'node:util';
import { isMap, isScalar, type Node, type Pair } from 'yaml';
import { WizardError } from '../core/errors.js';
import { parseYaml, type DatabaseSection, type LoadedConfig } from './load.js';

export type { DatabaseSection } from './load.js';

export interface PostgresArgs {
  user: string;
  password: string;
  dbname: string;
  host: string;
  port: number;
  cp_min: number;
  cp_max: number;
  keepalives_idle: number;
  keepalives_interval: number;
  keepalives_count: number;
}

/** `{ name: 'psycopg2', ...extra, args }`; extra.args may add libpq keys (sslmode...), the given args win. */
export function postgresDatabaseSection(args: PostgresArgs, extra: Record<string, unknown> = {}): DatabaseSection {
  const { name: _name, args: extraArgs, ...rest } = extra;
  const merged: Record<string, unknown> = { ...args };
  if (isObject(extraArgs)) {
    for (const [k, v] of Object.entries(extraArgs)) if (!(k in merged)) merged[k] = v;
  }
  return { name: 'psycopg2', ...rest, args: merged };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Uint8Array);
}

// ---- rendering: YAML that PyYAML (1.1) and YAML 1.2 readers both read back to the same values ----

/** Plain only when no YAML 1.1/1.2 resolver could read it as anything but this string. */
const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./-]*$/;
const KEYWORD = /^(y|n|yes|no|true|false|on|off|null)$/i;
/** Characters PyYAML refuses raw (non-printable) or reads as line breaks (U+0085, U+2028, U+2029). */
const UNPRINTABLE = /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g;

function quote(s: string): string {
  return JSON.stringify(s).replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function scalar(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return '.nan';
    if (!Number.isFinite(v)) return v > 0 ? '.inf' : '-.inf';
    const s = String(v);
    return Number.isInteger(v) || s.includes('.') ? s : s.replace('e', '.0e'); // 1e-7 is a string to PyYAML
  }
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return `!!binary ${quote(Buffer.from(v).toString('base64'))}`;
  if (typeof v === 'object') return Array.isArray(v) ? '[]' : '{}';
  const s = String(v);
  return PLAIN.test(s) && !KEYWORD.test(s) ? s : quote(s);
}

function nonEmpty(v: unknown): boolean {
  return (Array.isArray(v) && v.length > 0) || (isObject(v) && Object.keys(v).length > 0);
}

function renderNested(v: unknown, pad: string, depth: number): string[] {
  if (depth > 64) throw new WizardError('BAD_INPUT', 'The config nests too deeply (or refers to itself) to be written out.');
  return Array.isArray(v) ? renderSeq(v, pad, depth + 1) : renderMap(v as Record<string, unknown>, pad, depth + 1);
}

function renderMap(obj: Record<string, unknown>, pad: string, depth: number): string[] {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    if (nonEmpty(v)) lines.push(`${pad}${scalar(k)}:`, ...renderNested(v, `${pad}  `, depth));
    else lines.push(`${pad}${scalar(k)}: ${scalar(v)}`);
  }
  return lines;
}

function renderSeq(items: unknown[], pad: string, depth: number): string[] {
  const lines: string[] = [];
  for (const item of items) {
    if (!nonEmpty(item)) lines.push(`${pad}- ${scalar(item)}`);
    else if (Array.isArray(item)) lines.push(`${pad}-`, ...renderNested(item, `${pad}  `, depth));
    else {
      const inner = renderNested(item, `${pad}  `, depth);
      lines.push(`${pad}- ${inner[0].slice(pad.length + 2)}`, ...inner.slice(1));
    }
  }
  return lines;
}

/** Renders top-level entries as block YAML lines (no line endings). */
export function renderYamlLines(obj: Record<string, unknown>, pad = ''): string[] {
  return renderMap(obj, pad, 0);
}

// ---- splicing ----

function eolAt(text: string, from: number): string {
  const i = text.indexOf('\n', from);
  return i > 0 && text[i - 1] === '\r' ? '\r\n' : '\n';
}

interface Span {
  start: number; // where the key starts (its line's indentation stays)
  lineStart: number;
  end: number; // after the newline that ends the value's last line, or text.length
  hasNewline: boolean;
  column: number;
}

/** From the `database` key to the end of the last line holding its value; comments after that line stay outside. */
function spanOf(text: string, pair: Pair): Span {
  const key = pair.key as Node;
  const [start, keyEnd] = key.range!;
  const valueEnd = (pair.value as Node | null)?.range?.[1] ?? keyEnd;
  let last = Math.max(keyEnd, valueEnd) - 1;
  while (last >= keyEnd && /\s/.test(text[last])) last--;
  const nl = text.indexOf('\n', Math.max(last, keyEnd));
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  return { start, lineStart, end: nl === -1 ? text.length : nl + 1, hasNewline: nl !== -1, column: start - lineStart };
}

function topLevelPairs(text: string): { pairs: Pair[]; firstColumn: number } {
  const doc = parseYaml(text);
  const err = doc.errors[0];
  if (err) {
    const pos = err.linePos?.[0];
    throw new WizardError('CONFIG_PARSE', `${pos ? `${pos.line}:${pos.col}: ` : ''}${err.message.split('\n')[0]}`, {
      hint: 'Fix the YAML first: the wizard only edits configs that Synapse can read.',
    });
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return { pairs: [], firstColumn: 0 };
  if (!isMap(root) || root.flow) {
    throw new WizardError('BAD_INPUT', 'The config file is not a block mapping of settings (`key: value` lines), so its database section cannot be edited.', {
      hint: 'Write the config in the usual block style, as Synapse generates it.',
    });
  }
  const pairs = root.items.filter((p) => isScalar(p.key) && p.key.value === 'database');
  const first = root.items[0]?.key as Node | undefined;
  const firstColumn = first?.range ? first.range[0] - (text.lastIndexOf('\n', first.range[0] - 1) + 1) : 0;
  return { pairs, firstColumn };
}

/**
 * Replaces the top-level `database:` block (or appends one) with `section`. Bytes outside the block are kept;
 * comments inside the old block go. A repeated `database` key (PyYAML lets the last win) is reduced to one.
 */
export function setDatabaseSection(text: string, section: DatabaseSection): string {
  const { pairs, firstColumn } = topLevelPairs(text);
  let out: string;
  if (pairs.length === 0) {
    const eol = eolAt(text, 0);
    const pad = ' '.repeat(firstColumn);
    const head = text === '' || text.endsWith('\n') ? text : text + eol;
    out = head + renderYamlLines({ database: section }, pad).join(eol) + eol;
  } else {
    out = text;
    const spans = pairs.map((p) => spanOf(text, p));
    for (let i = spans.length - 1; i >= 0; i--) {
      const s = spans[i];
      if (i === spans.length - 1) {
        const eol = eolAt(text, s.start);
        const lines = renderYamlLines({ database: section }, ' '.repeat(s.column));
        const block = lines.join(eol).slice(s.column) + (s.hasNewline ? eol : '');
        out = out.slice(0, s.start) + block + out.slice(s.end);
      } else {
        const from = text.slice(s.lineStart, s.start).trim() === '' ? s.lineStart : s.start;
        out = out.slice(0, from) + out.slice(s.end);
      }
    }
  }
  checkEdit(text, out, section);
  return out;
}

/** Top-level values as a YAML reader sees them; undefined when the text does not load. */
function readBack(text: string): Record<string, unknown> | undefined {
  const doc = parseYaml(text);
  if (doc.errors.length > 0) return undefined;
  try {
    return { ...(doc.toJS() as Record<string, unknown> | null) };
  } catch {
    return undefined; // e.g. an alias whose anchor was inside the old block
  }
}

/** The edit must change `database` and nothing else, as a YAML reader sees it. */
function checkEdit(before: string, after: string, section: DatabaseSection): void {
  const old = readBack(before);
  const got = readBack(after);
  const plain = (v: unknown): unknown => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
  const same = old && got && isDeepStrictEqual(plain(got.database), plain(section)) &&
    isDeepStrictEqual({ ...got, database: undefined }, { ...old, database: undefined });
  if (!same) {
    throw new WizardError('BAD_INPUT', 'Could not replace the database section without changing other settings (anchors, document markers or an unusual layout).', {
      hint: 'Edit the database section by hand, or pass a simpler config; nothing was written.',
    });
  }
}

/**
 * The text of homeserver-postgres.yaml for synapse_port_db --postgres-config, which needs one complete file.
 * One file: that file with its database block swapped. Several: the merged config as one generated document.
 */
export function renderConfigWithDatabase(loaded: LoadedConfig, section: DatabaseSection): string {
  if (loaded.files.length === 0) throw new WizardError('BAD_INPUT', 'No config files were loaded.');
  if (loaded.files.length === 1) return setDatabaseSection(loaded.files[0].text, section);
  const header = [
    '# Generated by synapse-pg-wizard for synapse_port_db --postgres-config.',
    '# Synapse settings merged from these files, in this order (later top-level keys replace earlier ones):',
    ...loaded.files.map((f) => `#   ${f.path}`),
    '# Comments from those files are not kept here.',
  ];
  const body = renderYamlLines({ ...loaded.merged, database: section });
  return setDatabaseSection([...header, ...body].join('\n') + '\n', section);
}
