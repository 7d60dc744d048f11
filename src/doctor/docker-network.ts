// FAILURES 10 (Docker side): 'no pg_hba.conf entry for host "172.17.0.1"': containers connect from Docker's networks (172.16.0.0/12).
import { promises as fs } from 'node:fs';
import { planHbaInsert } from '../pg/hba.js';
import { unifiedDiff } from '../core/diff.js';
import { pgHba } from '../setup/steps/pg-hba.js';
import { quoteLiteral } from '../pg/identifiers.js';
import { formatIp, parseCidr } from '../pg/cidr.js';
import { requireDoctorAdmin, requireServer, synapseArgs, type DoctorContext } from './context.js';
import { inContainer, loginFromContainer } from './compose/container-login.js';
import { hostAddressFromContainer } from '../synapse/container.js';
import { restartArgv, restartPostgres } from './pg-restart.js';
import { listensOn, localAddresses } from './listen-address.js';
import { matchingLines } from './text.js';
import type { Diagnosis } from './types.js';
import { DOCKER_NO_HBA_ENTRY, ERROR_TEXTS } from '../synapse/known-errors.js';
import { WizardError } from '../core/errors.js';

export const DOCKER_NETWORKS = '172.16.0.0/12';
const DOCKER_ADDR = /^172\.(1[6-9]|2\d|3[01])\.\d+\.\d+$/;

/** The container's own bridge networks when the engine told them (--service compose:/docker:), else all of Docker's. */
const networks = (ctx: DoctorContext) => (ctx.setup.opts.clientNetworks?.length ? ctx.setup.opts.clientNetworks : [DOCKER_NETWORKS]);

/** A CIDR as pg_hba_file_rules shows it: the address and its netmask, both as text (the one CIDR parser, src/pg/cidr.ts). */
function netmask(cidr: string): { address: string; netmask: string } {
  const r = parseCidr(cidr)!;
  return { address: formatIp(r.family, r.addr), netmask: formatIp(r.family, r.mask) };
}

async function plan(ctx: DoctorContext) {
  const server = requireServer(ctx);
  const file = server.hbaFile;
  if (!file) throw new WizardError('BLOCKED', 'The admin connection is not a superuser, so pg_hba.conf cannot be read.', { hint: `Ask the database admin to add a line for the container's networks (${networks(ctx).join(', ')}) with scram-sha-256.` });
  const text = await fs.readFile(file, 'utf8');
  const p = planHbaInsert(text, {
    database: ctx.target.dbname,
    user: ctx.target.user,
    addresses: networks(ctx),
    method: server.passwordEncryption === 'md5' ? 'md5' : 'scram-sha-256',
    ssl: false,
    comment: `# Added by synapse-pg-wizard doctor on ${new Date().toISOString().slice(0, 10)}: Synapse in Docker connects from Docker's networks`,
  });
  return { file, text, plan: p };
}

export const dockerNetwork: Diagnosis = {
  id: 'docker-network',
  rank: 25,
  title: "pg_hba.conf does not accept Synapse from Docker's networks",
  patterns: ERROR_TEXTS.dockerNoHbaEntry,
  async diagnose(ctx) {
    const fromText = matchingLines(ctx, ERROR_TEXTS.dockerNoHbaEntry).map((l) => DOCKER_NO_HBA_ENTRY.exec(l)![1]!);
    // Docker's default pools are 172.16.0.0/12, then 192.168.0.0/16: the engine's own gateway counts whatever its range
    const container = ctx.opts.cutover.container;
    const gateway = container ? hostAddressFromContainer(container) : undefined;
    const configured = DOCKER_ADDR.test(ctx.target.host) || ctx.target.host === gateway ? [ctx.target.host] : [];
    const seen = [...fromText, ...configured];
    if (!seen.length || !ctx.setup.server) return undefined;
    requireDoctorAdmin(ctx);
    const st = await plan(ctx);
    const [l] = await requireDoctorAdmin(ctx).query<{ v: string }>(`SELECT current_setting('listen_addresses') AS v`);
    // the container's gateway as the engine reports it (a bridge with no running container has no carrier, and Node does not list
    // its address); else every Docker bridge that is up here
    const bridge = gateway && configured.includes(gateway) ? [gateway] : [...localAddresses()].filter((a) => DOCKER_ADDR.test(a));
    // Only a bridge on this host can be listened on; without one, Synapse's Docker runs elsewhere and only pg_hba.conf matters here.
    const deaf = bridge.length > 0 && !bridge.some((a) => listensOn(l!.v, a));
    const alter = `ALTER SYSTEM SET listen_addresses = ${quoteLiteral([l!.v, ...bridge].join(','))}`;
    if (!st.plan.needed && !deaf) return undefined;
    const listenNote = deaf ? `${alter} and restart PostgreSQL (listen_addresses is read at server start only)` : undefined;
    return {
      id: this.id,
      title: this.title,
      evidence: `Synapse connects from ${seen.join(', ')} (inside Docker's ${networks(ctx).join(', ')}); ${st.plan.needed ? `${st.file} has no password line for that network` : 'pg_hba.conf accepts it'}${deaf ? `; PostgreSQL listens only on '${l!.v}'` : ''}.`,
      cause: 'Inside a container "localhost" is the container itself; Synapse reaches PostgreSQL through the Docker bridge, from an address in 172.16.0.0/12, which PostgreSQL neither listens on nor allows by default.',
      fix: [st.plan.needed ? `insert "host ${ctx.target.dbname} ${ctx.target.user} ${networks(ctx).join(',')} scram-sha-256" before the line that matches now and reload` : undefined, listenNote, 'point Synapse at the host\'s bridge address (or put both containers on one Docker network)'].filter(Boolean).join('; '),
      needsSynapseStopped: false,
      plan: [
        ...(deaf ? [{ kind: 'sql' as const, sql: alter }, { kind: 'command' as const, argv: restartArgv(ctx) ?? ['restart PostgreSQL yourself'] }] : []),
        ...(st.plan.needed ? [{ kind: 'file' as const, path: st.file, diff: unifiedDiff(st.text, st.plan.text, st.file) }, { kind: 'sql' as const, sql: 'SELECT pg_reload_conf()' }] : []),
      ],
      apply: async (sc) => {
        const done: string[] = [];
        if (deaf) {
          await requireDoctorAdmin(ctx).exec(alter);
          done.push(await restartPostgres(ctx));
        }
        if (st.plan.needed) {
          ctx.setup.hbaPending = await plan(ctx);
          done.push(await pgHba.apply(ctx.setup, sc));
        }
        return done.join(' ');
      },
      verify: async () => {
        for (const net of networks(ctx).filter((n) => !n.includes(':'))) {
          const m = netmask(net);
          const rows = await requireDoctorAdmin(ctx).query(`SELECT 1 FROM pg_hba_file_rules WHERE address = ${quoteLiteral(m.address)} AND netmask = ${quoteLiteral(m.netmask)} AND error IS NULL`);
          if (!rows.length) throw new WizardError('UNVERIFIED', `pg_hba_file_rules shows no line for ${net} after the reload`);
        }
        const rules = `pg_hba_file_rules shows the line for ${networks(ctx).join(', ')}`;
        // the proof: Synapse's container itself logs in (when the doctor runs its commands there and knows the password)
        if (!inContainer(ctx.exec) || !synapseArgs(ctx)) return `${rules}.`;
        return `${rules}; psycopg2 in Synapse's container logged in to ${ctx.target.host}:${ctx.target.port} (PostgreSQL saw it from ${await loginFromContainer(ctx)}).`;
      },
    };
  },
};
