// Splits pg_hba.conf text into records and fields the way PostgreSQL's tokenizer does (quotes, commas, comments, backslash continuations).

/** One token of a field; `quoted` when it began with a double quote, which makes keywords (`all`, `+group`, `@file`) literal names. */
export interface HbaToken {
  value: string;
  quoted: boolean;
}

/** A logical record: one or more physical lines joined by backslash continuations, split into fields of comma-separated tokens. */
export interface HbaRecord {
  lineNumber: number;
  endLineNumber: number;
  fields: HbaToken[][];
}

/** Physical lines without their `\n` (a trailing `\r` stays); a final newline does not start another line. */
export function physicalLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function tokenizeRecords(text: string): HbaRecord[] {
  const lines = physicalLines(text);
  const records: HbaRecord[] = [];
  let i = 0;
  while (i < lines.length) {
    const first = i;
    let logical = '';
    let lastBackslashLength = 0;
    for (;;) {
      logical += lines[i]!.replace(/[\r\n]+$/, '');
      i++;
      // A trailing backslash continues the record, even inside quotes or a comment; it must be new text, not one left by the previous line.
      if (logical.length <= lastBackslashLength || !logical.endsWith('\\')) break;
      logical = logical.slice(0, -1);
      lastBackslashLength = logical.length;
      if (i >= lines.length) break;
    }
    const fields = splitFields(logical);
    if (fields.length > 0) records.push({ lineNumber: first + 1, endLineNumber: i, fields });
  }
  return records;
}

const isBlank = (c: string) => c === ' ' || c === '\t' || c === '\r';

function splitFields(line: string): HbaToken[][] {
  const fields: HbaToken[][] = [];
  let pos = 0;
  while (pos < line.length) {
    const field: HbaToken[] = [];
    for (;;) {
      const next = readToken(line, pos);
      pos = next.end;
      if (!next.token) break;
      field.push(next.token);
      if (!next.comma) break;
    }
    if (field.length > 0) fields.push(field);
  }
  return fields;
}

/** Reads one token after skipping blanks and commas; `comma` tells whether an unquoted comma ended it (the field goes on). */
function readToken(line: string, start: number): { token: HbaToken | null; end: number; comma: boolean } {
  let i = start;
  while (i < line.length && (isBlank(line[i]!) || line[i] === ',')) i++;
  let value = '';
  let inQuote = false;
  let afterQuote = false; // inside quotes, just saw a `"`: a second one is a literal quote
  let sawQuote = false;
  let initialQuote = false;
  let comma = false;
  while (i < line.length && (inQuote || !isBlank(line[i]!))) {
    const c = line[i]!;
    if (c === '#' && !inQuote) {
      i = line.length;
      break;
    }
    if (c === ',' && !inQuote) {
      comma = true;
      break;
    }
    if (c !== '"' || afterQuote) value += c;
    afterQuote = inQuote && c === '"' ? !afterQuote : false;
    if (c === '"') {
      inQuote = !inQuote;
      sawQuote = true;
      if (value === '') initialQuote = true;
    }
    i++;
  }
  const token = sawQuote || value !== '' ? { value, quoted: initialQuote } : null;
  return { token, end: i, comma };
}
