// --log FILE: read line by line (a stream, never the whole file as one string, no argument spreading), keeping what a diagnosis
// can use: every line that is not routine INFO/DEBUG (capped), and the last routine lines for context. Memory stays bounded
// however long the log is.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { requireRegularFile } from '../adapters/files.js';

const ROUTINE = /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d[,.]\d+ - \S+ - \d+ - (INFO|DEBUG) - /;
/** Routine lines that still matter (the port's dropped rows are logged as INFO). */
const KEEP_ANYWAY = /DROPPING ROW|dropping search row/;
export const MAX_KEPT = 50_000;
const TAIL = 1_000;
const MAX_LINE = 4_000;

export interface LogLines {
  lines: string[];
  total: number;
  /** Lines left out beyond MAX_KEPT (the newest are kept). */
  dropped: number;
}

export async function readLogLines(path: string): Promise<LogLines> {
  // /dev/null is the one device read as what it is, an empty log; any other FIFO or device could hang or never end
  if (path === '/dev/null') return { lines: [], total: 0, dropped: 0 };
  await requireRegularFile(path, 'log file');
  const kept: { i: number; l: string }[] = [];
  const tail: { i: number; l: string }[] = [];
  let total = 0;
  let dropped = 0;
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const raw of rl) {
    const i = total++;
    if (!raw.trim()) continue;
    const l = raw.length > MAX_LINE ? raw.slice(0, MAX_LINE) : raw;
    if (!ROUTINE.test(l) || KEEP_ANYWAY.test(l)) {
      kept.push({ i, l });
      // trimmed in batches (amortised O(1) per line), so at most 2 x MAX_KEPT lines are ever held
      if (kept.length >= 2 * MAX_KEPT) dropped += kept.splice(0, kept.length - MAX_KEPT).length;
    } else {
      tail.push({ i, l });
      if (tail.length >= 2 * TAIL) tail.splice(0, tail.length - TAIL);
    }
  }
  if (kept.length > MAX_KEPT) dropped += kept.splice(0, kept.length - MAX_KEPT).length;
  if (tail.length > TAIL) tail.splice(0, tail.length - TAIL);
  const merged = kept.concat(tail).sort((a, b) => a.i - b.i);
  return { lines: merged.map((x) => x.l), total, dropped };
}
