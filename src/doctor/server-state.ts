// The server itself: PostgreSQL not running (and how it is started here), max_connections too small for Synapse's pool or
// used up (53300), and sslmode asking for SSL from a server that has none.
import { existsSync } from 'node:fs';
import { createExecutor, formatArgv } from '../adapters/exec.js';
import { describeProbe, reproduceLogin } from '../adapters/synapse-probe.js';
import { WizardError } from '../core/errors.js';
import { requireDoctorAdmin, requireServer, type DoctorContext } from './context.js';
import { restartArgv, restartPostgres } from './pg-restart.js';
import { databaseArgs, poolMax, probeFailedWith, runProbe } from './probe.js';
import type { Diagnosis } from './types.js';

interface DebianCluster {
  version: string;
  cluster: string;
  port: number;
  running: boolean;
}

/** Debian's registered clusters (postgresql-common), or undefined where pg_lsclusters is not installed. */
async function debianClusters(): Promise<DebianCluster[] | undefined> {
  if (!existsSync('/usr/bin/pg_lsclusters')) return undefined;
  const r = await createExecutor({ kind: 'local' }).run(['pg_lsclusters', '--no-header'], { timeoutMs: 20_000 });
  if (r.exitCode !== 0) return undefined;
  return r.stdout.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f.length >= 4).map((f) => ({ version: f[0]!, cluster: f[1]!, port: Number(f[2]), running: f[3] === 'online' }));
}

const isLocal = (host: string) => !host || host.startsWith('/') || /^(localhost|127\.|::1$)/.test(host);

export const pgDown: Diagnosis = {
  id: 'postgres-down',
  rank: 1,
  title: 'PostgreSQL is not running (nothing accepts connections where Synapse connects)',
  patterns: [],
  canCheck: (ctx) => ctx.onPostgres,
  async diagnose(ctx) {
    const args = databaseArgs(ctx);
    if (!ctx.onPostgres || !args) return undefined;
    const now = await reproduceLogin(args);
    if (now.ok || !(now.netcode === 'ECONNREFUSED' || now.netcode === 'ENOENT')) return undefined;
    // the superuser connection still answers: the server runs, Synapse only aims elsewhere (listen-address, peer-socket)
    if (ctx.setup.admin && (await ctx.setup.admin.query('SELECT 1').then(() => true, () => false))) return undefined;
    const where = `${ctx.target.host || 'the default socket'}:${ctx.target.port}`;
    const clusters = isLocal(ctx.target.host) ? await debianClusters() : undefined;
    const mine = clusters?.find((c) => c.port === ctx.target.port);
    const startArgv = mine && !mine.running ? ['pg_ctlcluster', mine.version, mine.cluster, 'start'] : undefined;
    const how = !isLocal(ctx.target.host)
      ? `PostgreSQL runs on ${ctx.target.host}: start it there (systemctl start postgresql, or your provider's console)`
      : startArgv
        ? `start it: ${formatArgv(startArgv)} (systemd hosts: systemctl start postgresql@${mine!.version}-${mine!.cluster})`
        : clusters
          ? `no cluster registered on this host uses port ${ctx.target.port} (pg_lsclusters: ${clusters.map((c) => `${c.version}/${c.cluster} port ${c.port} ${c.running ? 'online' : 'down'}`).join(', ') || 'none'}): start the server that should listen there (pg_ctl -D DATADIR start, docker start CONTAINER), or correct port in database.args`
          : `start it the way it is run here (systemctl start postgresql, pg_ctl -D DATADIR start, docker start CONTAINER)`;
    const probe = ctx.probe && !ctx.probe.ok ? ` Connecting as Synapse does: ${describeProbe(ctx.probe)}` : ` ${now.error}`;
    return {
      id: this.id,
      title: this.title,
      evidence: `Nothing accepts connections on ${where} (${now.netcode}).${probe}${ctx.adminError ? ` The superuser connection fails too: ${ctx.adminError}` : ''}`,
      cause: 'The PostgreSQL server is stopped (or crashed, or listens on another port); every other check inside PostgreSQL is impossible until it runs.',
      fix: how,
      needsSynapseStopped: false,
      plan: startArgv ? [{ kind: 'command', argv: startArgv }] : [],
      apply: startArgv
        ? async () => {
            const r = await createExecutor({ kind: 'local' }).run(startArgv, { timeoutMs: 120_000 });
            if (r.exitCode !== 0) throw new WizardError('EXEC', `${formatArgv(startArgv)} failed: ${(r.spawnError ?? r.stderr).trim().split('\n').slice(-3).join(' ')}`, { hint: `Read the cluster's log in /var/log/postgresql/.` });
            return `Started PostgreSQL ${mine!.version}/${mine!.cluster}.`;
          }
        : undefined,
      verify: async () => {
        const p = await runProbe(ctx);
        return p ? describeProbe(p) : '';
      },
    };
  },
};

interface ConnSettings {
  max_connections: number;
  reserved: number;
  in_use: number;
  by_user: string | null;
}

async function connSettings(ctx: DoctorContext): Promise<ConnSettings> {
  const v = requireServer(ctx).versionNum;
  // PostgreSQL 16 added reserved_connections (for pg_use_reserved_connections) beside superuser_reserved_connections
  const reserved = v >= 160000 ? `current_setting('superuser_reserved_connections')::int + current_setting('reserved_connections')::int` : `current_setting('superuser_reserved_connections')::int`;
  const [r] = await requireDoctorAdmin(ctx).query<ConnSettings>(
    `SELECT current_setting('max_connections')::int AS max_connections, ${reserved} AS reserved,
            (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS in_use,
            (SELECT string_agg(u || ' ' || n, ', ' ORDER BY n DESC) FROM (SELECT coalesce(usename, '?') AS u, count(*) AS n FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1) s) AS by_user`,
  );
  return r!;
}

export const maxConnections: Diagnosis = {
  id: 'max-connections',
  rank: 36,
  title: "max_connections leaves too few connections for Synapse's pool",
  patterns: [/too many clients already/, /remaining connection slots are reserved/],
  async diagnose(ctx) {
    if (!ctx.onPostgres) return undefined;
    const s = await connSettings(ctx);
    const pool = poolMax(ctx);
    const usable = s.max_connections - s.reserved;
    // 53300 from the server as a whole (not a role's or database's own limit, see connection-limit): the slots are used up
    const full = probeFailedWith(ctx, '53300') && !(await reproduceLogin(databaseArgs(ctx)!).then((r) => r.ok)) && s.in_use >= usable;
    if (usable >= pool && !full) return undefined;
    const want = Math.max(s.max_connections + (full ? pool : 0), pool + s.reserved + 20);
    const sql = `ALTER SYSTEM SET max_connections = ${want}`;
    const restart = restartArgv(ctx);
    return {
      id: this.id,
      title: this.title,
      evidence: `max_connections is ${s.max_connections}, ${s.reserved} of them reserved for superusers, so ${usable} are left for everyone else; Synapse's pool opens up to ${pool} (cp_max)${full ? `, and ${s.in_use} are in use now (${s.by_user ?? 'none'})` : ''}.${ctx.probe && !ctx.probe.ok ? ` Connecting as Synapse does: ${describeProbe(ctx.probe)}` : ''}`,
      cause: full
        ? 'Other clients hold every connection slot that is not reserved; the server refuses Synapse with SQLSTATE 53300 ("too many clients already" / "remaining connection slots are reserved").'
        : 'Synapse keeps up to cp_max connections per process (plus its workers\' pools); with fewer slots its requests wait or fail with SQLSTATE 53300 under load.',
      fix: `${sql}, then restart PostgreSQL (max_connections is read at server start)${full ? '; or close the clients that hold the connections' : ''}`,
      needsSynapseStopped: false,
      plan: [{ kind: 'sql', sql }, restart ? { kind: 'command', argv: restart } : { kind: 'note', text: 'restart PostgreSQL yourself' }],
      apply: restart
        ? async () => {
            await requireDoctorAdmin(ctx).exec(sql);
            return `Set max_connections to ${want}. ${await restartPostgres(ctx)}`;
          }
        : undefined,
    };
  },
};

export const sslMismatch: Diagnosis = {
  id: 'ssl-mismatch',
  rank: 22,
  title: 'database.args asks for SSL, but the server has SSL off',
  patterns: [/server does not support SSL, but SSL was required/, /The server does not support SSL connections/],
  async diagnose(ctx) {
    const mode = databaseArgs(ctx)?.sslmode;
    if (!ctx.onPostgres || !['require', 'verify-ca', 'verify-full'].includes(String(mode))) return undefined;
    if (requireServer(ctx).ssl) return undefined;
    return {
      id: this.id,
      title: this.title,
      evidence: `database.args has sslmode: ${String(mode)}; SHOW ssl on the server says off.${ctx.probe && !ctx.probe.ok ? ` Connecting as Synapse does: ${describeProbe(ctx.probe)}` : ''}`,
      cause: 'libpq refuses to connect without SSL when sslmode is require or verify-*, and this server does not offer SSL.',
      fix: 'turn SSL on in the server (ssl = on with ssl_cert_file/ssl_key_file, then reload), or, only where the connection never leaves this host, set sslmode: prefer in database.args',
      needsSynapseStopped: false,
      plan: [],
    };
  },
};
