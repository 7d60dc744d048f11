// The one HTTP client for Synapse (client-server and Admin API): timeouts, waiting out 429 rate limits, a bearer token kept out of messages.
import { WizardError } from '../core/errors.js';

export interface HttpResponse {
  status: number;
  text: string;
  /** The body parsed as JSON; undefined when it is empty or not JSON. */
  json: any;
}

export interface HttpRequestOptions {
  body?: unknown;
  /** An access token, sent as `Authorization: Bearer` (register it as a secret before). */
  token?: string;
  timeoutMs?: number;
  /** What to tell the admin when Synapse cannot be reached at all (default: check that it runs and its listener). */
  unreachableHint?: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_RATE_LIMIT_RETRIES = 20;

export function trimBase(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '');
}

export async function request(baseUrl: string, method: string, path: string, opts: HttpRequestOptions = {}): Promise<HttpResponse> {
  const url = trimBase(baseUrl) + path;
  for (let attempt = 0; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        },
        body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
        signal: AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      });
    } catch (e) {
      const reason = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name ?? String(e);
      throw new WizardError('SERVICE', `${method} ${url} failed: ${reason}`, {
        hint:
          opts.unreachableHint ??
          (reason === 'TimeoutError' ? 'Synapse did not answer in time; check its log file for errors or a stuck database.' : 'Check that Synapse is running and that its listener address and port are right (see the `listeners` section of homeserver.yaml).'),
        cause: e,
      });
    }
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    // Synapse rate-limits messages, logins, room creation and admin calls: wait as told instead of failing.
    if (res.status === 429 && attempt < MAX_RATE_LIMIT_RETRIES) {
      const wait = Number(json?.retry_after_ms ?? res.headers.get('retry-after') ?? 1000);
      await new Promise((r) => setTimeout(r, Math.min(Math.max(wait, 50), 10_000)));
      continue;
    }
    return { status: res.status, text, json };
  }
}
