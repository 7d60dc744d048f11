// One table of figures, each target (issues 7 and 11) beside its figure (pass/miss, never asserted), and the same as JSON.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ManualResult, PortSplit } from './manual.js';
import type { StartupResult } from './startup.js';
import type { VerificationResult } from './verification.js';
import type { WizardResult } from './wizard.js';

export interface BenchResults {
  startedAt: string;
  /** 1, 5 and 15 minute load averages before and after: figures from a busy machine are not comparable with a quiet one. */
  host: { cpus: number; loadBefore: number[]; loadAfter?: number[]; node: string };
  traffic: { key: string; users: number; rooms: number; messages: number; sqliteBytes: number; seedMs: number; messagesPerSecond: number };
  /** One entry per round; the unsuffixed fields are their medians, field by field. */
  manualRuns: ManualResult[];
  wizardRuns: WizardResult[];
  verificationRuns: VerificationResult[];
  manual?: ManualResult;
  wizard?: WizardResult;
  verification?: VerificationResult;
  startup?: StartupResult;
  rows?: Row[];
  failures?: string[];
  /** --latency-ms: the manual procedure (manualRuns) and both engines (wizardRuns: copy) through a delaying proxy. */
  latency?: import('./latency.js').LatencyResults;
}

export interface Row {
  figure: string;
  manual?: string;
  wizard: string;
  ratio?: string;
  target: string;
  verdict: 'pass' | 'miss' | '';
}

const s = (ms: number | undefined) => (ms === undefined ? '?' : `${(ms / 1000).toFixed(1)} s`);
const msText = (ms: number | undefined) => (ms === undefined ? '?' : `${Math.round(ms)} ms`);
const verdict = (ok: boolean | undefined): Row['verdict'] => (ok === undefined ? '' : ok ? 'pass' : 'miss');

const ratioText = (a: number | undefined, b: number | undefined) => (a === undefined || !b ? '' : (a / b).toFixed(2));

/** synapse_port_db's whole run, then its setup (schema, background updates) and its copying, as its output splits them. */
function portRows(label: string, m: PortSplit, w: PortSplit | undefined): Row[] {
  return [
    { figure: `  ${label}`, manual: s(m.ms), wizard: s(w?.ms), ratio: ratioText(w?.ms, m.ms), target: '', verdict: '' },
    { figure: '    setup (schema, background updates)', manual: s(m.setupMs), wizard: s(w?.setupMs), ratio: ratioText(w?.setupMs, m.setupMs), target: '', verdict: '' },
    { figure: `    copying (${m.rowsCopied} / ${w?.rowsCopied ?? '?'} rows)`, manual: s(m.copyMs), wizard: s(w?.copyMs), ratio: ratioText(w?.copyMs, m.copyMs), target: '', verdict: '' },
  ];
}

export function rows(r: BenchResults): Row[] {
  const out: Row[] = [];
  const { manual: m, wizard: w, verification: v, startup: st } = r;
  if (m && w) {
    const p1 = w.phase1Ms / m.phase1Ms;
    out.push({ figure: 'phase 1 (Synapse serving)', manual: s(m.phase1Ms), wizard: s(w.phase1Ms), ratio: p1.toFixed(2), target: 'wizard <= 0.25 x manual', verdict: verdict(p1 <= 0.25) });
    out.push(...portRows('synapse_port_db on the snapshot', m.portSnapshot, w.portSnapshot));
    const dt = w.downtimeMs / m.downtimeMs;
    out.push({ figure: 'downtime (stop -> /health OK on PostgreSQL)', manual: s(m.downtimeMs), wizard: s(w.downtimeMs), ratio: dt.toFixed(2), target: 'wizard <= 0.20 x manual', verdict: verdict(dt <= 0.2) });
    out.push(...portRows('synapse_port_db in phase 2', m.portLive, w.portFinal));
    const p = w.portSnapshot;
    if (p?.copyMs && p.rowsCopied) {
      const rate = p.rowsCopied / (p.copyMs / 1000);
      const mrate = m.portSnapshot.copyMs ? m.portSnapshot.rowsCopied / (m.portSnapshot.copyMs / 1000) : undefined;
      out.push({ figure: 'copy rate of phase 1 (rows/s)', manual: mrate === undefined ? '?' : String(Math.round(mrate)), wizard: String(Math.round(rate)), ratio: mrate ? (rate / mrate).toFixed(1) : '', target: '>= 50000 rows/s', verdict: verdict(rate >= 50_000) });
    }
  }
  if (w) {
    const e = w.estimatedDowntimeMs;
    const f = e === undefined ? undefined : Math.max(e / w.downtimeMs, w.downtimeMs / e);
    out.push({ figure: "wizard's downtime estimate vs measured", wizard: `${s(e)} vs ${s(w.downtimeMs)}`, ratio: f === undefined ? '' : (e! / w.downtimeMs).toFixed(2), target: 'within a factor of 1.5', verdict: verdict(f === undefined ? false : f <= 1.5) });
    out.push({ figure: 'wizard run, start to exit', wizard: s(w.totalMs), target: '', verdict: '' });
    out.push({ figure: 'peak memory of the wizard (VmHWM)', wizard: w.peakRssBytes === undefined ? '?' : `${(w.peakRssBytes / 2 ** 20).toFixed(0)} MiB`, target: '< 300 MB', verdict: verdict(w.peakRssBytes === undefined ? undefined : w.peakRssBytes < 300e6) });
  }
  if (v) {
    const ratio = v.checkPortMs / Math.max(1, v.plainMs);
    out.push({ figure: `port verification (${v.tables} tables, ${v.rows} rows)`, manual: `${msText(v.plainMs)} plain`, wizard: msText(v.checkPortMs), ratio: ratio.toFixed(2), target: 'wizard <= 2 x plain count(*)', verdict: verdict(ratio <= 2) });
    out.push({ figure: '  SQLite + PostgreSQL', manual: `${msText(v.plainSqliteMs)} + ${msText(v.plainPostgresMs)}`, wizard: `${msText(v.checkPortMs - v.checkPortPgMs)} + ${msText(v.checkPortPgMs)}`, target: '', verdict: '' });
    out.push({ figure: '  PostgreSQL queries (one connection each)', manual: `${v.tables} (1 conn.)`, wizard: `${v.checkPortPgQueries} x ~${msText(v.adminQueryMs)}`, target: '', verdict: '' });
    if (w?.verifyStepMs !== undefined) out.push({ figure: "  the wizard's verify-port step in the cutover", wizard: msText(w.verifyStepMs), target: '', verdict: '' });
  }
  if (st) {
    out.push({ figure: 'start-up to first output (status --json)', manual: `node alone ${msText(st.bareNodeMs)}`, wizard: msText(st.firstOutputMs), target: '<= 500 ms', verdict: verdict(st.firstOutputMs <= 500) });
    out.push({ figure: "start-up to the full-screen menu's first paint", manual: `tmux+printf ${msText(st.bareTmuxMs)}`, wizard: msText(st.menuPaintMs), target: '<= 500 ms', verdict: verdict(st.menuPaintMs === undefined ? undefined : st.menuPaintMs <= 500) });
  }
  return out;
}

export function table(rs: Row[]): string {
  const head: Row = { figure: 'figure', manual: 'manual', wizard: 'wizard', ratio: 'w/m', target: 'target', verdict: '' };
  const cols: (keyof Row)[] = ['figure', 'manual', 'wizard', 'ratio', 'target', 'verdict'];
  const width = cols.map((c) => Math.max(...[head, ...rs].map((r) => String(r[c] ?? '').length)));
  const line = (r: Row) => cols.map((c, i) => String(r[c] ?? '').padEnd(width[i]!)).join('  ').trimEnd();
  return [line(head), width.map((w) => '-'.repeat(w)).join('  '), ...rs.map(line)].join('\n');
}

/** Writes results-<timestamp>.json into the cache directory; returns its path. */
export async function writeResults(dir: string, r: BenchResults): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `results-${r.startedAt.replace(/[:.]/g, '-')}.json`);
  await writeFile(path, JSON.stringify(r, null, 2) + '\n');
  return path;
}
