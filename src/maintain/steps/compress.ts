// Compress state with synapse_auto_compressor (rust-synapse-compress-state) when installed; it is not packaged in Debian, so say how to build it.
import type { Step } from '../../core/step.js';
import { formatArgv } from '../../adapters/exec.js';
import { report, type MaintainContext } from '../context.js';
import { formatBytes, tableBytes } from '../sizes.js';
import { WizardError } from '../../core/errors.js';

export const COMPRESSOR = 'synapse_auto_compressor';

export const INSTALL_HINT =
  'synapse_auto_compressor is not packaged in Debian (nor in the matrix-synapse packages). It comes from https://github.com/matrix-org/rust-synapse-compress-state and is built with Rust: ' +
  'apt-get install cargo libssl-dev pkg-config, then cargo install --git https://github.com/matrix-org/rust-synapse-compress-state synapse_auto_compressor ' +
  '(it lands in ~/.cargo/bin; put it on PATH, e.g. install -m 755 ~/.cargo/bin/synapse_auto_compressor /usr/local/bin/). Then run this task again.';

interface Facts {
  path: string;
  socketDir: string;
  port: number;
  bytes: number;
  rows: number;
}

async function stateFacts(ctx: MaintainContext): Promise<{ bytes: number; rows: number }> {
  const [r] = await ctx.db.query<{ n: string }>('SELECT count(*)::text AS n FROM state_groups_state');
  return { bytes: await tableBytes(ctx.db, 'state_groups_state'), rows: Number(r!.n) };
}

/** The compressor takes its connection as a URL argument; run as the postgres OS user over the local socket, that URL holds no password. */
export function compressorArgv(f: Pick<Facts, 'path' | 'socketDir' | 'port'>, dbname: string): string[] {
  const url = `postgresql://postgres@/${encodeURIComponent(dbname)}?host=${encodeURIComponent(f.socketDir)}&port=${f.port}`;
  return ['runuser', '-u', 'postgres', '--', f.path, '-p', url, '-c', '500', '-n', '100'];
}

export const compressTool: Step<MaintainContext> = {
  id: 'compress-tool',
  title: 'Find synapse_auto_compressor',
  why: 'Compressing state_groups_state is done by Synapse\'s own Rust tool; the wizard only runs it and measures the table.',
  prerequisite: true,
  async check(ctx) {
    const r = await ctx.exec.run(['sh', '-c', `command -v ${COMPRESSOR}`], { timeoutMs: 10_000 });
    const path = r.exitCode === 0 ? r.stdout.trim() : '';
    if (!path) return { status: 'blocked', code: 'BLOCKED', message: `${COMPRESSOR} is not installed (not found on PATH${ctx.exec.target.kind === 'local' ? '' : ` in ${formatArgv(ctx.exec.wrap([]))}`}).`, hint: INSTALL_HINT };
    if (ctx.opts.pgAdmin.kind !== 'local') {
      return { status: 'blocked', message: `${COMPRESSOR} takes its connection, password included, on its command line; the wizard runs it only as the postgres OS user over the local socket (--pg-admin local).`, hint: `Run it by hand with the password in a URL only you can see: ${COMPRESSOR} -p postgresql://USER:PASSWORD@HOST/DB -c 500 -n 100` };
    }
    const [s] = await ctx.createAdmin(ctx.opts.pgAdmin).query<{ d: string; p: string }>(`SELECT split_part(current_setting('unix_socket_directories'), ',', 1) AS d, current_setting('port') AS p`);
    ctx.found.compress = { path, socketDir: s!.d.trim(), port: Number(s!.p), bytes: 0, rows: 0 } satisfies Facts;
    return { status: 'done', message: `${COMPRESSOR} found at ${path}.` };
  },
  async apply() {
    return 'Nothing to apply.';
  },
  async verify() {
    return { ok: true, message: 'installed.' };
  },
};

export const compressState: Step<MaintainContext> = {
  id: 'compress',
  title: 'Compress state_groups_state',
  why: 'state_groups_state is often the largest table; the compressor rewrites state groups as smaller deltas without changing what Synapse sees.',
  async check(ctx) {
    const f = ctx.found.compress as Facts;
    Object.assign(f, await stateFacts(ctx));
    return { status: 'needed', message: `state_groups_state takes ${formatBytes(f.bytes)} with ${f.rows} rows.`, plan: [{ kind: 'command', argv: compressorArgv(f, ctx.db.args.dbname), note: '500 state groups a chunk, 100 chunks; run it again to go on' }], confirm: 'Run synapse_auto_compressor now?' };
  },
  async apply(ctx, sc) {
    const f = ctx.found.compress as Facts;
    const [file, ...args] = compressorArgv(f, ctx.db.args.dbname);
    const r = await ctx.exec.run([file!, ...args], { signal: sc.signal, timeoutMs: 6 * 3600_000, onLine: (l) => sc.log(l) });
    if (r.exitCode !== 0) throw new WizardError('EXEC', `${COMPRESSOR} failed (exit ${r.exitCode}): ${r.stderr.trim().split('\n').slice(-3).join(' ')}`, { hint: 'Its full output is in the log above; run it by hand with the same arguments to see more.' });
    return `${COMPRESSOR} finished.`;
  },
  async verify(ctx) {
    const f = ctx.found.compress as Facts;
    const after = await stateFacts(ctx);
    report(ctx, 'compress', 'state_groups_state before and after', 'count', [
      { label: 'rows before', value: f.rows },
      { label: 'rows after', value: after.rows },
    ], [
      { label: 'size before', value: f.bytes, unit: 'bytes' },
      { label: 'size after', value: after.bytes, unit: 'bytes' },
    ]);
    return { ok: true, message: `state_groups_state: ${f.rows} -> ${after.rows} rows, ${formatBytes(f.bytes)} -> ${formatBytes(after.bytes)} (VACUUM FULL gives the freed space back to the disk).` };
  },
};
