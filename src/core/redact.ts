// One registry of secrets: every text that leaves the core (logs, events, JSON, screen) passes through redact().
//
// A secret is hidden in every form it takes in what the wizard prints: raw, YAML double- and single-quoted, JSON-escaped
// (a password holding " \ or a tab), URL-encoded (user:PASSWORD@host) and SQL-quoted. Secrets of 4 characters or more are
// replaced wherever any of those forms occurs. Shorter ones (1-3 characters) would turn every "a" or "ab" in the output into
// stars, so they are replaced only where a password stands: after a password key (password: X, "password": "X",
// password=X, PASSWORD 'X') and in a URL's user:X@ part.
const secrets = new Set<string>();
/** Below this length a secret is redacted only in password positions. */
export const MIN_ANYWHERE = 4;
const MARK = '********';

export function registerSecret(value: string | undefined): void {
  if (value) secrets.add(value);
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The forms a secret takes in YAML, JSON, URLs and SQL, longest first (so a longer form is replaced before its raw core). */
export function encodings(s: string): string[] {
  const json = JSON.stringify(s).slice(1, -1);
  const forms = [
    s,
    json,
    // YAML double-quoted: JSON's escapes are valid YAML; the yaml library may also write \t as a real tab, so both stay
    json.replace(/\\"/g, '"'),
    s.replace(/'/g, "''"), // YAML single-quoted and SQL literals
    encodeURIComponent(s),
    encodeURIComponent(s).replace(/%20/g, '+'),
    s.replace(/\\/g, '\\\\').replace(/'/g, "\\'"), // Python repr / libpq conninfo quoting
  ];
  return [...new Set(forms)].filter(Boolean).sort((a, b) => b.length - a.length);
}

const KEY = String.raw`(?:pass(?:word|wd)?|pwd|secret|PGPASSWORD)`;

function redactShort(text: string, s: string): string {
  let out = text;
  for (const form of encodings(s)) {
    const f = escapeRe(form);
    // password: X / "password": "X" / password=X / PASSWORD 'X', with the value ending at a quote, space, separator or line end
    out = out.replace(new RegExp(String.raw`(${KEY}["']?\s*(?:[:=]|\s)\s*["']?)${f}(?=["'\s,;&}\]]|$)`, 'gim'), `$1${MARK}`);
    // URL user info: scheme://user:X@host
    out = out.replace(new RegExp(String.raw`(:\/\/[^\s:/@]*:)${f}(?=@)`, 'g'), `$1${MARK}`);
  }
  return out;
}

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) {
    if (s.length < MIN_ANYWHERE) {
      out = redactShort(out, s);
      continue;
    }
    for (const form of encodings(s)) if (out.includes(form)) out = out.split(form).join(MARK);
  }
  return out;
}

/** Whether the text holds a registered secret in any form redact() hides (files holding one are never world-readable). */
export function holdsSecret(text: string): boolean {
  return secrets.size > 0 && redact(text) !== text;
}

/** Deep-redacts strings inside a JSON-able value. */
export function redactValue<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as unknown as T;
  if (Array.isArray(value)) return value.map((v) => redactValue(v)) as unknown as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = /password/i.test(k) && typeof v === 'string' ? MARK : redactValue(v);
    }
    return out as T;
  }
  return value;
}
