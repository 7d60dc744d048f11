// Which Synapse the cutover stops and starts: the --service spec (synctl by default when the tools have it) and its client listener.
import { WizardError } from '../core/errors.js';
import type { CutoverContext } from './context.js';
import { clientBaseUrl } from '../synapse/listener.js';
import { createService, type ServiceSpec, type SynapseService } from '../synapse/service.js';

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
  // in a container, the URL is the published port's (set with the context); the listener's own address is the container's
  if (!ctx.opts.container) ctx.baseUrl ??= clientBaseUrl(ctx.config.merged, { orFirst: true });
  return createService(spec, { exec: ctx.exec, configPath: ctx.paths.mainConfig, baseUrl: ctx.baseUrl, startTimeoutMs: ctx.opts.startTimeoutMs, stopTimeoutMs: ctx.opts.stopTimeoutMs, onLog: (l) => currentLog.get(ctx)?.(l) });
}

export function requireService(ctx: CutoverContext, log: (line: string) => void): SynapseService {
  currentLog.set(ctx, log);
  const s = (ctx.service ??= makeService(ctx, log));
  if (!s) throw new WizardError('INTERNAL', 'internal: no service (preflight stops first)');
  return s;
}
