// In which order and how together the copy engine's work runs: units (a table, or the tables one TRUNCATE ... CASCADE ties
// together) in waves that respect the foreign keys, as the script orders its tables, a few at once.

export interface Unit {
  tables: string[];
  kind: 'append' | 'replace';
}

/** Append-only tables each on their own; tables to replace grouped by the foreign keys that TRUNCATE ... CASCADE follows. */
export function groupUnits(work: string[], replace: Set<string>, appendOnly: Set<string>, refs: Map<string, Set<string>>): Unit[] {
  const units: Unit[] = [];
  for (const t of work) if (appendOnly.has(t) && !replace.has(t)) units.push({ tables: [t], kind: 'append' });
  const seen = new Set<string>();
  for (const t of work) {
    if (!replace.has(t) || seen.has(t)) continue;
    const group: string[] = [];
    const stack = [t];
    while (stack.length) {
      const x = stack.pop()!;
      if (seen.has(x)) continue;
      seen.add(x);
      group.push(x);
      for (const y of replace) {
        if (seen.has(y)) continue;
        if (refs.get(x)?.has(y) || refs.get(y)?.has(x)) stack.push(y);
      }
    }
    units.push({ tables: orderByReferences(group, refs), kind: 'replace' });
  }
  return units;
}

function orderByReferences(tables: string[], refs: Map<string, Set<string>>): string[] {
  const out: string[] = [];
  const left = new Set(tables);
  while (left.size) {
    const ready = [...left].filter((t) => ![...(refs.get(t) ?? [])].some((p) => left.has(p) && p !== t));
    const take = ready.length ? ready : [...left]; // a cycle (none in Synapse's schema): take the rest as it comes
    for (const t of take) {
      out.push(t);
      left.delete(t);
    }
  }
  return out;
}

/** Runs units in waves as the script does: a unit starts once the tables it references are done; `limit` at once. */
export async function runWaves(units: Unit[], refs: Map<string, Set<string>>, limit: number, weight: (u: Unit) => number, fn: (u: Unit, worker: number) => Promise<void>): Promise<void> {
  const inWork = new Set(units.flatMap((u) => u.tables));
  const finished = new Set<string>();
  const pending = [...units];
  while (pending.length) {
    const ready = pending.filter((u) => u.tables.every((t) => [...(refs.get(t) ?? [])].every((p) => u.tables.includes(p) || !inWork.has(p) || finished.has(p))));
    const wave = (ready.length ? ready : [pending[0]!]).sort((a, b) => weight(b) - weight(a));
    for (const u of wave) pending.splice(pending.indexOf(u), 1);
    let next = 0;
    const worker = async (_: unknown, w: number) => {
      while (next < wave.length) {
        const u = wave[next++]!;
        await fn(u, w);
        for (const t of u.tables) finished.add(t);
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, wave.length) }, worker));
  }
}
