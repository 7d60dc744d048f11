// FAILURES 10 (host side): Synapse's host is an address of this machine that PostgreSQL does not listen on ("Connection refused").
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { addressesFor } from '../adapters/pg-login.js';
import { quoteLiteral } from '../pg/identifiers.js';
import { portOpen } from '../synapse/service.js';
import { requireDoctorAdmin, type DoctorContext } from './context.js';
import { tryLogin } from './login.js';
import { restartArgv, restartPostgres } from './pg-restart.js';
import type { Diagnosis } from './types.js';
import { ERROR_TEXTS } from '../synapse/known-errors.js';
import { WizardError } from '../core/errors.js';

export function localAddresses(): Set<string> {
  return new Set(Object.values(networkInterfaces()).flat().map((i) => i?.address ?? '').filter(Boolean));
}

/** Whether listen_addresses makes PostgreSQL accept connections on `addr`. */
export function listensOn(listen: string, addr: string): boolean {
  const items = listen.split(',').map((s) => s.trim()).filter(Boolean);
  const v6 = isIP(addr) === 6;
  return items.some((i) => i === '*' || i === addr || (i === '0.0.0.0' && !v6) || (i === '::' && v6) || (i === 'localhost' && (addr === '127.0.0.1' || addr === '::1')));
}

async function settings(ctx: DoctorContext): Promise<{ listen: string; port: number }> {
  const [r] = await requireDoctorAdmin(ctx).query<{ listen: string; port: string }>(`SELECT current_setting('listen_addresses') AS listen, current_setting('port') AS port`);
  return { listen: r!.listen, port: Number(r!.port) };
}

export const listenAddress: Diagnosis = {
  id: 'listen-addresses',
  rank: 20,
  title: "PostgreSQL does not listen on the address Synapse connects to",
  patterns: ERROR_TEXTS.unreachable,
  async diagnose(ctx) {
    const login = await tryLogin(ctx);
    if (login.ok !== false || login.error.code !== 'PG_UNREACHABLE') return undefined;
    const { listen, port } = await settings(ctx);
    const host = ctx.target.host;
    if (ctx.target.port !== port) {
      return {
        id: this.id, title: this.title,
        evidence: `database.args says port ${ctx.target.port}, but the server the doctor administers listens on port ${port}. ${login.error.message}`,
        cause: 'Synapse is configured for another port (or another cluster) than the one that runs.',
        fix: `set port: ${port} in database.args if this is Synapse's cluster, or start the cluster on ${ctx.target.port}`,
        needsSynapseStopped: false, plan: [],
      };
    }
    const addrs = await addressesFor(host).catch(() => [] as string[]);
    if (!addrs.length) {
      return {
        id: this.id, title: this.title,
        evidence: `The host name ${host} in database.args does not resolve here (${login.error.message}).`,
        cause: 'Inside a container "localhost" is the container itself, and host names of other machines or containers resolve only on a shared network.',
        fix: 'use a host name or address Synapse can reach (in Docker: the database container on a shared network, or the host\'s bridge address)',
        needsSynapseStopped: false, plan: [],
      };
    }
    const local = localAddresses();
    const missing = addrs.filter((a) => (local.has(a) || a.startsWith('127.')) && !listensOn(listen, a));
    if (!missing.length) return undefined;
    const wanted = [listen, ...missing].filter(Boolean).join(',');
    const alter = `ALTER SYSTEM SET listen_addresses = ${quoteLiteral(wanted)}`;
    const restart = restartArgv(ctx);
    return {
      id: this.id,
      title: this.title,
      evidence: `Synapse connects to ${host} (${addrs.join(', ')}), port ${port}; PostgreSQL's listen_addresses is '${listen}', which does not include ${missing.join(', ')}. ${login.error.message}`,
      cause: 'PostgreSQL accepts TCP connections only on the addresses in listen_addresses (localhost by default), and Synapse does not retry its first connection.',
      fix: `${alter}; restart PostgreSQL (listen_addresses is read only at server start); pg_hba.conf must also accept that address (its own finding)`,
      needsSynapseStopped: false,
      plan: [
        { kind: 'sql', sql: alter, note: 'pg_settings.context of listen_addresses is postmaster: needs a restart' },
        restart ? { kind: 'command', argv: restart } : { kind: 'note', text: 'restart PostgreSQL yourself' },
      ],
      apply: async () => {
        await requireDoctorAdmin(ctx).exec(alter);
        return `Set listen_addresses to '${wanted}'. ${await restartPostgres(ctx)}`;
      },
      verify: async () => {
        for (const a of missing) if (!(await portOpen(a, port, 3000))) throw new WizardError('UNVERIFIED', `nothing accepts connections on ${a}:${port} after the restart`);
        return `PostgreSQL now accepts TCP connections on ${missing.map((a) => `${a}:${port}`).join(', ')}.`;
      },
    };
  },
  fromText: () => ({
    cause: 'Synapse could not reach PostgreSQL: it listens only on localhost, or inside a container "localhost" is the container, or the host name does not resolve there.',
    fix: "add the address Synapse uses to listen_addresses (restart PostgreSQL), allow it in pg_hba.conf, and in Docker use the host's bridge address or a shared network",
  }),
};
