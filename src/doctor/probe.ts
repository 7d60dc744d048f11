// The doctor's first act: connect as Synapse does (src/adapters/synapse-probe.ts) and keep the result for every diagnosis.
import { probeAsSynapse, type ProbeResult } from '../adapters/synapse-probe.js';
import type { DoctorContext } from './context.js';

/** database.args as Synapse passes them (whatever database.name says: a wrong engine name is its own finding). */
export function databaseArgs(ctx: DoctorContext): Record<string, unknown> | undefined {
  const a = ctx.config?.database?.args;
  return a && typeof a === 'object' && !Array.isArray(a) ? (a as Record<string, unknown>) : undefined;
}

/** Synapse's pool size: Twisted's default cp_max is 5. */
export function poolMax(ctx: DoctorContext): number {
  const v = Number(databaseArgs(ctx)?.cp_max ?? 5);
  return Number.isFinite(v) && v > 0 ? v : 5;
}

/** Runs the probe (undefined when the config does not use PostgreSQL) and stores it on the context. */
export async function runProbe(ctx: DoctorContext, signal?: AbortSignal): Promise<ProbeResult | undefined> {
  const args = databaseArgs(ctx);
  ctx.probe = ctx.onPostgres && args ? await probeAsSynapse(ctx.exec, args, { fallback: !ctx.opts.serviceGiven, signal }) : undefined;
  return ctx.probe;
}

/** The probe failed with one of these SQLSTATEs (or network codes). */
export function probeFailedWith(ctx: DoctorContext, ...codes: string[]): boolean {
  const p = ctx.probe;
  return !!p && !p.ok && codes.some((c) => p.sqlstate === c || p.netcode === c);
}
