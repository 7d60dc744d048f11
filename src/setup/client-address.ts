// Which client addresses PostgreSQL will see for Synapse's TCP login, when the server is on this machine.
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { addressesFor } from '../adapters/pg-login.js';
import { isLoopbackHost } from '../pg/host.js';

/** The client addresses PostgreSQL will see for Synapse's connection, as CIDRs; undefined when it cannot know (a remote server). */
export async function clientCidrs(host: string): Promise<string[] | undefined> {
  if (host === 'localhost') return ['127.0.0.1/32', '::1/128'];
  const addrs = isIP(host) ? [host] : await addressesFor(host).catch(() => []);
  const local = new Set(Object.values(networkInterfaces()).flat().map((i) => i?.address));
  if (!addrs.length || !addrs.every((a) => local.has(a) || isLoopbackHost(a))) return undefined;
  return addrs.map((a) => (isIP(a) === 6 ? `${a}/128` : `${a}/32`));
}
