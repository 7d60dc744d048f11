// PostgreSQL's translated messages back to English with the catalogs it ships (postgres-NN.mo, libpq5-NN.mo): a German
// "Passwort-Authentifizierung für Benutzer »x« fehlgeschlagen" becomes 'password authentication failed for user "x"', so
// translated texts map to the same findings. Only gettext's .mo format is read; nothing is guessed.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Template {
  /** The longest literal piece of the translation: a cheap test before the regular expression. */
  key: string;
  /** Length of the literal text: the longest matching template wins ("keine Berechtigung" alone is "permission denied"). */
  size: number;
  re: RegExp;
  english: string;
}

const LOCALE_DIR = '/usr/share/locale';
const CATALOG = /^(postgres|libpq5)-\d+\.mo$/;
/** printf conversions PostgreSQL uses in messages (%s, %d, %u, %lu, %lld, %X, %m, %1$s...). */
const CONVERSION = /%(?:\d+\$)?[-+ #0]*\d*(?:\.\d+)?(?:hh|h|ll|l|z|j|t|L)?[sdiuxXfgcmp]/g;

/** The msgid/msgstr pairs of one .mo file (either byte order); plural forms are skipped. */
export function readMo(buf: Buffer): [string, string][] {
  const le = buf.readUInt32LE(0) === 0x950412de;
  if (!le && buf.readUInt32BE(0) !== 0x950412de) return [];
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const n = u32(8);
  const orig = u32(12);
  const trans = u32(16);
  const out: [string, string][] = [];
  for (let i = 0; i < n; i++) {
    const str = (table: number) => buf.toString('utf8', u32(table + i * 8 + 4), u32(table + i * 8 + 4) + u32(table + i * 8));
    const id = str(orig);
    const tr = str(trans);
    if (id && tr && !id.includes('\0') && id !== tr) out.push([id, tr]);
  }
  return out;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function template(english: string, translated: string): Template | undefined {
  const pieces = translated.split(CONVERSION);
  const key = pieces.reduce((a, b) => (b.length > a.length ? b : a), '');
  if (key.length < 8) return undefined;
  return { key, size: pieces.join('').length, re: new RegExp(pieces.map(escape).join('(.*?)')), english };
}

let cache: Template[] | undefined;

function templates(dir = LOCALE_DIR): Template[] {
  if (cache) return cache;
  const out: Template[] = [];
  let langs: string[];
  try {
    langs = readdirSync(dir);
  } catch {
    return (cache = out);
  }
  for (const lang of langs) {
    const msgDir = join(dir, lang, 'LC_MESSAGES');
    let files: string[];
    try {
      files = readdirSync(msgDir).filter((f) => CATALOG.test(f));
    } catch {
      continue;
    }
    for (const f of files) {
      for (const [id, tr] of readMo(readFileSync(join(msgDir, f)))) {
        const t = template(id, tr);
        if (t) out.push(t);
      }
    }
  }
  return (cache = out);
}

/** The English original of a translated PostgreSQL/libpq message in `line`, its values filled in; undefined when none matches. */
export function toEnglish(line: string): string | undefined {
  let best: { t: Template; m: RegExpExecArray } | undefined;
  for (const t of templates()) {
    if (!line.includes(t.key) || (best && best.t.size >= t.size)) continue;
    const m = t.re.exec(line);
    if (m) best = { t, m };
  }
  if (!best) return undefined;
  let i = 1;
  return best.t.english.replace(CONVERSION, () => best.m[i++] ?? '').replace(/\n$/, '');
}

/** Error lines with an English line added after each translated one (at most `limit` lines are looked at). */
export function withEnglish(lines: string[], known: (l: string) => boolean, limit = 200): string[] {
  const out: string[] = [];
  let looked = 0;
  for (const l of lines) {
    out.push(l);
    if (known(l) || looked++ >= limit || /^[\x20-\x7e\t]*$/.test(l)) continue;
    const en = toEnglish(l);
    if (en) out.push(`${en} (PostgreSQL's English for: ${l.trim().slice(0, 200)})`);
  }
  return out;
}
