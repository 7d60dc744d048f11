// Synapse's PostgreSQL on another host does not answer: refused (nothing listens at that address and port), timed out
// (packets dropped on the way), or no route. Told apart, with the fix phrased for whoever runs that server.
import { createSocket } from 'node:dgram';
import { addressesFor } from '../adapters/pg-login.js';
import { clientCidrs } from '../setup/client-address.js';
import type { DoctorContext } from './context.js';
import { tryLogin } from './login.js';
import type { Diagnosis, Finding } from './types.js';

/** The source address this host uses towards `addr` (a UDP "connect" sends nothing; it only picks the route). */
export function sourceAddressFor(addr: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = createSocket(addr.includes(':') ? 'udp6' : 'udp4');
    s.once('error', () => (s.close(), resolve(undefined)));
    s.connect(port, addr, () => {
      const a = s.address().address;
      s.close();
      resolve(a);
    });
  });
}

const TITLE = "PostgreSQL on another host does not answer Synapse's connection";

export const remoteConnection: Diagnosis = {
  id: 'remote-connection',
  rank: 21,
  title: TITLE,
  patterns: [/timeout expired/i, /Connection timed out/i, /No route to host/i],
  canCheck: (ctx) => ctx.onPostgres && !!ctx.target.host && !ctx.target.host.startsWith('/'),
  async diagnose(ctx: DoctorContext): Promise<Finding | undefined> {
    const host = ctx.target.host;
    if (!ctx.onPostgres || !host || host.startsWith('/') || (await clientCidrs(host))) return undefined;
    const login = await tryLogin(ctx);
    if (login.ok !== false || login.error.code !== 'PG_UNREACHABLE') return undefined;
    const cause = (login.error.cause as { code?: string } | undefined)?.code;
    const port = ctx.target.port;
    const addr = (await addressesFor(host).catch(() => [] as string[]))[0];
    if (!addr) return undefined; // a name that does not resolve: the listen-address diagnosis says so
    const from = await sourceAddressFor(addr, port);
    const me = from ? `this host (${from})` : 'this host';
    const base = { id: this.id, title: TITLE, needsSynapseStopped: false, plan: [] };
    if (cause === 'ECONNREFUSED') {
      return {
        ...base,
        evidence: `Connecting to ${host}:${port} (${addr}) is refused at once: ${login.error.message}`,
        cause: `The server's host answered, but nothing listens on ${addr} port ${port} (or a firewall rejects it): PostgreSQL is stopped, listens on another port, or its listen_addresses does not include ${addr}.`,
        fix: `ask the server's admin to check that PostgreSQL runs, that port = ${port}, and that listen_addresses includes ${addr} (or '*'), then restart it; or correct host/port in database.args`,
      };
    }
    if (cause === 'EHOSTUNREACH' || cause === 'ENETUNREACH') {
      return { ...base, evidence: `No route from ${me} to ${addr}: ${login.error.message}`, cause: 'This host has no network path to that address (a wrong address, a VPN or private link that is down, a missing route).', fix: `check the address in database.args and the network link between ${me} and ${addr}` };
    }
    if (/Timed out/.test(login.error.message)) {
      return {
        ...base,
        evidence: `Connecting to ${host}:${port} (${addr}) from ${me} gets no answer at all: ${login.error.message}`,
        cause: 'Packets to the server are dropped on the way, not refused: a firewall, a cloud security group or the managed service\'s allowed-IP list does not let this host in.',
        fix: `ask the server's admin (or use the provider's console) to allow ${from ?? "this host's address"} to reach TCP port ${port} of ${addr}`,
      };
    }
    return undefined;
  },
};
