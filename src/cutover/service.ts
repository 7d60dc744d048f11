// Which Synapse the cutover stops and starts: the --service spec (synctl by default when the tools have it) and its client listener.
import type { CutoverContext } from './context.js';
import { createService, type ServiceSpec, type SynapseService } from '../synapse/service.js';

/** http://HOST:PORT of the first HTTP listener serving the client resource (or the first listener). */
export function clientBaseUrl(merged: Record<string, unknown>): string | undefined {
  const listeners = Array.isArray(merged.listeners) ? (merged.listeners as Record<string, any>[]) : [];
  const l = listeners.find((x) => (x?.type ?? 'http') === 'http' && (x?.resources ?? []).some((r: any) => (r?.names ?? []).includes('client'))) ?? listeners[0];
  if (!l || typeof l.port !== 'number') return undefined;
  const binds: string[] = Array.isArray(l.bind_addresses) ? l.bind_addresses : l.bind_address ? [l.bind_address] : ['127.0.0.1'];
  const b = binds.find((a) => ['127.0.0.1', '0.0.0.0', '::', '::1', 'localhost'].includes(a)) ?? binds[0] ?? '127.0.0.1';
  const host = b === '0.0.0.0' || b === '::' || b === 'localhost' ? '127.0.0.1' : b;
  return `http://${host.includes(':') ? `[${host}]` : host}:${l.port}`;
}

export function serviceSpec(ctx: CutoverContext): ServiceSpec | undefined {
  if (ctx.opts.service) return ctx.opts.service;
  return ctx.tools?.synctl ? { kind: 'synctl' } : undefined;
}

/** The service's output goes to the log of the step that is using it now. */
const currentLog = new WeakMap<CutoverContext, (line: string) => void>();

export function makeService(ctx: CutoverContext, log: (line: string) => void): SynapseService | undefined {
  const spec = serviceSpec(ctx);
  if (!spec) return undefined;
  currentLog.set(ctx, log);
  ctx.baseUrl ??= clientBaseUrl(ctx.config.merged);
  return createService(spec, { exec: ctx.exec, configPath: ctx.paths.mainConfig, baseUrl: ctx.baseUrl, startTimeoutMs: ctx.opts.startTimeoutMs, stopTimeoutMs: ctx.opts.stopTimeoutMs, onLog: (l) => currentLog.get(ctx)?.(l) });
}

export function requireService(ctx: CutoverContext, log: (line: string) => void): SynapseService {
  currentLog.set(ctx, log);
  const s = (ctx.service ??= makeService(ctx, log));
  if (!s) throw new Error('internal: no service (preflight stops first)');
  return s;
}
