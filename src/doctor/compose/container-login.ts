// The proof that PostgreSQL is reachable from Synapse's container: psycopg2 there, with Synapse's connection arguments (the password
// on stdin, never in argv), logs in and reports the client address PostgreSQL saw.
import { formatArgv, type Executor } from '../../adapters/exec.js';
import { WizardError } from '../../core/errors.js';
import { synapseArgs, type DoctorContext } from '../context.js';

const SCRIPT = [
  'import json, sys, psycopg2',
  'a = json.load(sys.stdin)',
  'c = psycopg2.connect(**a)',
  'cur = c.cursor()',
  'cur.execute("SELECT coalesce(host(inet_client_addr()), \'socket\')")',
  'print("CLIENT", cur.fetchone()[0])',
].join('\n');

/** True when the doctor's executor runs inside a container (compose service or docker container). */
export const inContainer = (exec: Executor) => exec.target.kind === 'compose' || exec.target.kind === 'docker';

/** Logs in from inside the container as Synapse would; returns the client address PostgreSQL saw. Throws UNVERIFIED with the error. */
export async function loginFromContainer(ctx: DoctorContext): Promise<string> {
  const args = synapseArgs(ctx);
  if (!args) throw new WizardError('UNVERIFIED', 'the doctor does not know Synapse\'s password, so it cannot log in from the container', { hint: 'Pass --db-password-file, or run the doctor after setup wrote the database: section.' });
  const argv = ['python3', '-c', SCRIPT];
  const r = await ctx.exec.run(argv, { input: JSON.stringify({ ...args, connect_timeout: 10 }), timeoutMs: 90_000 });
  const m = /^CLIENT (\S+)$/m.exec(r.stdout);
  if (r.exitCode !== 0 || !m) {
    const why = (r.spawnError ?? r.stderr).trim().split('\n').filter(Boolean).slice(-2).join(' ');
    throw new WizardError('UNVERIFIED', `psycopg2 in Synapse's container cannot log in to ${args.host}:${args.port}: ${why}`, { hint: `Try it yourself: ${formatArgv(ctx.exec.wrap(argv))}` });
  }
  return m[1]!;
}
