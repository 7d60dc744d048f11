// Without --error/--log, the doctor reads why Synapse's last start failed from the log file its log_config names.
import { promises as fs } from 'node:fs';
import { isAbsolute } from 'node:path';
import { parseYaml } from '../config/load.js';
import type { DoctorContext } from './context.js';

const START = '***** STARTING SERVER *****';
const FAILED = /Exception during startup|Traceback \(most recent call last\)| - (ERROR|CRITICAL) - /;
const STAMPED = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ - /;

function hostPath(ctx: DoctorContext, p: string): string | undefined {
  if (!isAbsolute(p)) return undefined;
  return ctx.exec.target.kind === 'local' ? p : ctx.exec.toHost(p);
}

async function tail(path: string, bytes = 2 * 1024 * 1024): Promise<string> {
  const fh = await fs.open(path, 'r');
  try {
    const { size } = await fh.stat();
    const start = Math.max(0, size - bytes);
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    return buf.toString('utf8');
  } finally {
    await fh.close();
  }
}

/** The file handlers' log files named by log_config (a Python logging dictConfig in YAML). */
async function logFiles(ctx: DoctorContext): Promise<string[]> {
  const lc = ctx.config?.merged.log_config;
  if (typeof lc !== 'string') return [];
  const lcHost = hostPath(ctx, lc);
  if (!lcHost) return [];
  const text = await fs.readFile(lcHost, 'utf8').catch(() => undefined);
  if (!text) return [];
  const handlers = (parseYaml(text).toJS() as { handlers?: Record<string, { filename?: unknown }> } | null)?.handlers ?? {};
  return Object.values(handlers).map((h) => (typeof h?.filename === 'string' ? hostPath(ctx, h.filename) : undefined)).filter((p): p is string => !!p);
}

/** The error lines of Synapse's last start when it failed and Synapse is not running now; undefined otherwise. */
export async function lastFailedStart(ctx: DoctorContext): Promise<{ path: string; lines: string[] } | undefined> {
  for (const path of await logFiles(ctx)) {
    const text = await tail(path).catch(() => undefined);
    if (!text) continue;
    const all = text.split(/\r?\n/);
    const from = all.map((l) => l.includes(START)).lastIndexOf(true);
    const section = from < 0 ? all : all.slice(from + 1);
    if (!section.some((l) => FAILED.test(l))) return undefined;
    if (!ctx.service || (await ctx.service.isRunning().catch(() => true))) return undefined;
    return { path, lines: section.filter((l) => l.trim() && (!STAMPED.test(l) || / - (ERROR|CRITICAL) - /.test(l))) };
  }
  return undefined;
}
