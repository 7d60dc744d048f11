// Runs the port driver (driver-py.ts) through the exec prefix: the installed script's rules, and its own preparation of PostgreSQL.
import { createWriteStream, promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Executor } from '../../adapters/exec.js';
import { formatArgv } from '../../adapters/exec.js';
import { WizardError } from '../../core/errors.js';
import { redact } from '../../core/redact.js';
import { diagnosePort } from '../diagnose.js';
import { DRIVER_PY } from './driver-py.js';

/** What the installed synapse_port_db says about porting, read from its module at run time. */
export interface PortRules {
  synapseVersion: string;
  appendOnly: string[];
  booleanColumns: Record<string, string[]>;
  ignored: string[];
  autoincrement: string[];
}

export interface DriverResult {
  rules: PortRules;
  /** The tables the script would port (in both databases, bookkeeping excluded), from its own run. */
  tables: string[];
  ms: number;
}

/** The installed synapse_port_db lacks something the copy engine relies on: synapse_port_db alone still works. */
export class CopyEngineUnsupported extends WizardError {
  readonly lacking: string;
  constructor(lacking: string) {
    super('PORT_FAILED', `The copy engine cannot work with this Synapse: ${lacking}.`, { hint: 'Run cutover with --engine port-db (synapse_port_db alone), which needs nothing more of the installed script.' });
    this.lacking = lacking;
  }
}

export type DriverMode = 'rules' | 'prepare';

/** argv[1] of the driver: how an interrupted run's leftover is recognised (port-run.ts findToolProcesses). */
export const DRIVER_MARK = 'synapse_port_db-copy-driver';

export interface DriverOptions {
  exec: Executor;
  python: string;
  mode: DriverMode;
  /** Host paths, mapped inside the exec target here. */
  sqlite: string;
  postgresConfig: string;
  /** Where the run's output is kept; none for the rules alone (preflight, which writes nothing). */
  logFile?: string;
  signal?: AbortSignal;
  onState?: (state: string) => void;
}

export function driverArgv(o: Pick<DriverOptions, 'exec' | 'python' | 'mode' | 'sqlite' | 'postgresConfig'>): string[] {
  return ['env', 'PYTHONUNBUFFERED=1', o.python, '-', DRIVER_MARK, o.mode, o.exec.toInside(o.sqlite), o.exec.toInside(o.postgresConfig)];
}

export async function runDriver(o: DriverOptions): Promise<DriverResult> {
  const argv = driverArgv(o);
  if (o.logFile) await fs.mkdir(dirname(o.logFile), { recursive: true, mode: 0o700 });
  const log = o.logFile ? createWriteStream(o.logFile, { flags: 'a', mode: 0o600 }) : new PassThrough().resume();
  const t0 = Date.now();
  log.write(`== ${new Date(t0).toISOString()} ${formatArgv(o.exec.wrap(argv))} (synapse_port_db with its row copying left to the copy engine)\n`);
  let rules: PortRules | undefined;
  let tables: string[] | undefined;
  let missing: string | undefined;
  let stderrText = '';
  try {
    const r = await o.exec.run(argv, {
      input: DRIVER_PY,
      signal: o.signal,
      onLine: (line, stream) => {
        if (stream === 'stdout' && line.startsWith('SPGW-JSON ')) {
          let m: { kind: string; value: unknown };
          try {
            m = JSON.parse(line.slice(10)) as typeof m;
          } catch {
            return; // a cut line: the answer is then missing, which is reported below
          }
          if (m.kind === 'rules') rules = m.value as PortRules;
          else if (m.kind === 'tables') tables = m.value as string[];
          else if (m.kind === 'missing') missing = String(m.value);
          return;
        }
        log.write(`[${((Date.now() - t0) / 1000).toFixed(1)}s ${stream}] ${redact(line)}\n`);
        if (stream === 'stderr') stderrText = (stderrText + line + '\n').slice(-20_000);
        const state = /^([A-Z][A-Za-z0-9 ]+)\.\.\.$/.exec(line);
        if (state && stream === 'stdout') o.onState?.(state[1]!);
      },
    });
    const ms = Date.now() - t0;
    log.write(`== exit code ${r.exitCode ?? '?'} after ${(ms / 1000).toFixed(1)} s\n`);
    if (r.isCanceled || o.signal?.aborted) throw new WizardError('CANCELLED', 'Stopped while synapse_port_db prepared PostgreSQL; running cutover again resumes.');
    if (r.spawnError) throw new WizardError('PORT_FAILED', `Could not start ${o.python}: ${r.spawnError}`, { hint: 'Check --synapse-exec.' });
    if (missing) throw new CopyEngineUnsupported(missing);
    if (r.exitCode !== 0) throw diagnosePort(r.exitCode, redact(stderrText || r.stderr), o.logFile ?? 'not kept');
    if (!rules || (o.mode !== 'rules' && !tables)) throw new WizardError('PORT_FAILED', `The port driver ended without its answer (exit code ${r.exitCode ?? '?'}).`, { hint: `Read ${o.logFile ?? 'the output above'}; --engine port-db runs synapse_port_db alone.` });
    return { rules, tables: tables ?? [], ms };
  } finally {
    await new Promise<void>((res) => log.end(res));
  }
}
