// Where Synapse's client listener answers, read from the `listeners` section; the one finder the cutover, maintain, status and synctl use.

export interface ClientListener {
  host: string;
  port: number;
  tls: boolean;
  /** http(s)://HOST:PORT, IPv6 hosts in brackets. */
  url: string;
}

export interface ListenerOptions {
  /** When no HTTP listener serves the client resource, take the first listener (enough for /health); default: none. */
  orFirst?: boolean;
}

const LOOPBACK_OR_ANY = ['127.0.0.1', '::1', '0.0.0.0', '::', 'localhost'];

const isObject = (v: unknown): v is Record<string, any> => !!v && typeof v === 'object' && !Array.isArray(v);

function servesClient(l: Record<string, any>): boolean {
  return (l.type ?? 'http') === 'http' && Array.isArray(l.resources) && l.resources.some((r: any) => Array.isArray(r?.names) && r.names.includes('client'));
}

/** The first HTTP listener with the "client" resource, reached on loopback when it binds everywhere. */
export function clientListener(merged: Record<string, unknown>, opts: ListenerOptions = {}): ClientListener | undefined {
  const listeners = Array.isArray(merged.listeners) ? merged.listeners.filter(isObject) : [];
  const l = listeners.find(servesClient) ?? (opts.orFirst ? listeners[0] : undefined);
  if (!l || typeof l.port !== 'number') return undefined;
  const binds: string[] = Array.isArray(l.bind_addresses) ? l.bind_addresses.map(String) : typeof l.bind_address === 'string' ? [l.bind_address] : ['127.0.0.1'];
  const bind = binds.find((a) => LOOPBACK_OR_ANY.includes(a)) ?? binds[0] ?? '127.0.0.1';
  const host = bind === '0.0.0.0' || bind === '::' || bind === 'localhost' ? '127.0.0.1' : bind;
  const tls = !!l.tls;
  return { host, port: l.port, tls, url: `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${l.port}` };
}

/** The client listener's base URL (see clientListener). */
export function clientBaseUrl(merged: Record<string, unknown>, opts: ListenerOptions = {}): string | undefined {
  return clientListener(merged, opts)?.url;
}
