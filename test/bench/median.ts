// Several rounds of the same measurement, folded into one result: the median of every number, field by field.

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Numbers become their median across the runs that have them; objects and arrays are folded key by key; anything else comes from the first run that has it. */
export function medianOf<T>(runs: T[]): T {
  const first = runs.find((x) => x !== undefined);
  if (typeof first === 'number') {
    const xs = runs.filter((x): x is T & number => typeof x === 'number');
    return median(xs) as T;
  }
  if (Array.isArray(first)) return first.map((_, i) => medianOf(runs.map((r) => (r as unknown[])[i]))) as T;
  if (first && typeof first === 'object') {
    const out: Record<string, unknown> = {};
    const keys = new Set(runs.flatMap((r) => (r && typeof r === 'object' ? Object.keys(r) : [])));
    for (const k of keys) out[k] = medianOf(runs.map((r) => (r as Record<string, unknown> | undefined)?.[k]));
    return out as T;
  }
  return first as T;
}
