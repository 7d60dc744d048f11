// Failures known only from their text (a log or a pasted error): FAILURES 15, 18, 20. The doctor explains; the admin fixes.
import type { DoctorContext } from './context.js';
import { matchingLines } from './text.js';
import type { Diagnosis, Finding } from './types.js';
import { ERROR_TEXTS } from '../synapse/known-errors.js';

interface Known {
  id: string;
  rank: number;
  title: string;
  patterns: RegExp[];
  cause: string;
  fix: string;
  /** Evidence beyond the first matching line (e.g. counts). */
  summarize?: (lines: string[]) => string;
}

const NUL_ROW = /DROPPING ROW: NUL value in table ([^\s:]+) col ([^\s:]+)/;
const SEARCH_ROW = /dropping search row/;

/** "DROPPING ROW" counts per table and column, and dropped search rows: what the port left out. */
export function droppedRows(lines: string[]): string {
  const per = new Map<string, number>();
  let search = 0;
  for (const l of lines) {
    const m = NUL_ROW.exec(l);
    if (m) per.set(`${m[1]}.${m[2]}`, (per.get(`${m[1]}.${m[2]}`) ?? 0) + 1);
    else if (SEARCH_ROW.test(l)) search++;
  }
  const parts = [...per].map(([k, n]) => `${n} row(s) of ${k}`);
  if (search) parts.push(`${search} event_search row(s)`);
  return `The port dropped ${parts.join(', ')}.`;
}

const KNOWN: Known[] = [
  { id: 'port-curses', rank: 85, title: 'The port crashed in its curses display', patterns: [/_curses\.error/, /add(w)?str\(\) returned ERR/], cause: 'synapse_port_db --curses draws a table that does not fit a small terminal.', fix: 'run synapse_port_db without --curses (the wizard never passes it and reads the plain "table: N% (done/total)" lines)' },
  { id: 'port-dropped-rows', rank: 66, title: 'The port dropped rows holding NUL characters', patterns: [NUL_ROW, SEARCH_ROW], cause: 'PostgreSQL text cannot hold \\u0000, so synapse_port_db drops those rows (event_search is rebuilt by Synapse).', fix: 'tell the affected users; the rows named cannot be moved as they are (the counts are in the evidence)', summarize: droppedRows },
  { id: 'port-old-script', rank: 65, title: 'A bug of an older port script', patterns: ERROR_TEXTS.oldPortScript, cause: 'Older synapse_port_db versions mistyped some columns.', fix: 'port with a current Synapse' },
];

function diagnosis(k: Known): Diagnosis {
  return {
    id: k.id,
    rank: k.rank,
    title: k.title,
    patterns: k.patterns,
    async diagnose(ctx: DoctorContext): Promise<Finding | undefined> {
      const lines = matchingLines(ctx, k.patterns);
      if (!lines.length) return undefined;
      const first = `The error text "${lines[0]!.trim().slice(0, 300)}"${lines.length > 1 ? ` (and ${lines.length - 1} more matching line(s))` : ''}.`;
      return { id: k.id, title: k.title, evidence: k.summarize ? `${k.summarize(lines)} ${first}` : first, cause: k.cause, fix: k.fix, needsSynapseStopped: false, plan: [] };
    },
  };
}

export const TEXT_ONLY: Diagnosis[] = KNOWN.map(diagnosis);
