// Shows a config edit before it is written, as a standard unified diff (the `diff -u` format admins know), secrets redacted.
import { redact } from './redact.js';

interface Op {
  kind: ' ' | '-' | '+';
  /** The line with its "\n", if it has one (only a file's last line may not). */
  line: string;
}

/** Above this many cells the changed middle is shown as removed and re-added instead of aligned. */
const MAX_TABLE = 4_000_000;

function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Line diff: common prefix and suffix trimmed, longest common subsequence on the rest; deletions before insertions. */
function diffOps(a: string[], b: string[]): Op[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  const ops: Op[] = a.slice(0, pre).map((line) => ({ kind: ' ', line }));
  const n = am.length;
  const m = bm.length;
  if ((n + 1) * (m + 1) > MAX_TABLE) {
    ops.push(...am.map((line): Op => ({ kind: '-', line })), ...bm.map((line): Op => ({ kind: '+', line })));
  } else {
    // lcs[i * (m + 1) + j] = length of the longest common subsequence of am[i..] and bm[j..]
    const lcs = new Uint32Array((n + 1) * (m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * (m + 1) + j] = am[i] === bm[j] ? lcs[(i + 1) * (m + 1) + j + 1] + 1 : Math.max(lcs[(i + 1) * (m + 1) + j], lcs[i * (m + 1) + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) {
        ops.push({ kind: ' ', line: am[i++] });
        j++;
      } else if (j >= m || (i < n && lcs[(i + 1) * (m + 1) + j] >= lcs[i * (m + 1) + j + 1])) {
        ops.push({ kind: '-', line: am[i++] });
      } else {
        ops.push({ kind: '+', line: bm[j++] });
      }
    }
  }
  ops.push(...a.slice(a.length - suf).map((line): Op => ({ kind: ' ', line })));
  return ops;
}

function range(start: number, count: number): string {
  const first = count === 0 ? start : start + 1;
  return count === 1 ? `${first}` : `${first},${count}`;
}

function printLine(op: Op): string {
  return op.line.endsWith('\n') ? `${op.kind}${op.line}` : `${op.kind}${op.line}\n\\ No newline at end of file\n`;
}

/** A unified diff from oldText to newText labelled `path`; '' when they are equal. Registered secrets come out as ********. */
export function unifiedDiff(oldText: string, newText: string, path: string, context = 3): string {
  const ops = diffOps(splitLines(oldText), splitLines(newText));
  const changed = ops.flatMap((op, i) => (op.kind === ' ' ? [] : [i]));
  if (changed.length === 0) return '';
  let out = `--- ${path}\n+++ ${path}\n`;
  let k = 0;
  while (k < changed.length) {
    const first = changed[k];
    let last = first;
    // Hunks closer than 2 * context unchanged lines are merged, as GNU diff does.
    while (k + 1 < changed.length && changed[k + 1] - last - 1 <= 2 * context) last = changed[++k];
    const lo = Math.max(0, first - context);
    const hi = Math.min(ops.length, last + context + 1);
    const before = ops.slice(0, lo);
    const hunk = ops.slice(lo, hi);
    const oldStart = before.filter((op) => op.kind !== '+').length;
    const newStart = before.filter((op) => op.kind !== '-').length;
    const oldCount = hunk.filter((op) => op.kind !== '+').length;
    const newCount = hunk.filter((op) => op.kind !== '-').length;
    out += `@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@\n`;
    out += hunk.map(printLine).join('');
    k++;
  }
  return redact(out);
}

