// Whether a PostgreSQL host (libpq's host, a URL's host name, an address) is on this machine: the one rule every check uses.

/** A loopback name or address: TCP that never leaves this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

/** True when libpq would reach a server on this machine: loopback, a Unix socket directory, or no host (the default socket). */
export function isLocalHost(host: string): boolean {
  return host === '' || host.startsWith('/') || isLoopbackHost(host);
}
