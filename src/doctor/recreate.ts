// The safe way to change a database's encoding or locale: dump, create correctly, restore, compare row counts, swap names.
import { timestamp } from '../adapters/files.js';
import { runArgv } from '../adapters/exec.js';
import { WizardError } from '../core/errors.js';
import type { PlannedAction } from '../core/events.js';
import type { StepContext } from '../core/step.js';
import { quoteIdent, quoteLiteral } from '../pg/identifiers.js';
import { createDatabaseSql } from '../setup/steps/create-database.js';
import { requireDoctorAdmin, type DoctorContext } from './context.js';
import { rowCounts } from './db-info.js';

export function recreateNames(db: string, stamp = timestamp()) {
  return { fresh: `${db}_doctor_new`, old: `${db}_before_doctor_${stamp.toLowerCase()}` };
}

/**
 * pg_dump | pg_restore, run the way the admin connection runs psql (same OS user, host, port), or, for a URL
 * connection, here with the URL's password in PGPASSWORD (never in argv).
 */
function pipeline(ctx: DoctorContext, from: string, to: string): { argv: string[]; env?: Record<string, string> } {
  const spec = ctx.setup.opts.pgAdmin;
  const script = 'set -o pipefail; pg_dump --format=custom --dbname="$1" | pg_restore --exit-on-error --dbname="$2"';
  if (spec.kind === 'url') {
    const url = new URL(spec.url);
    const password = decodeURIComponent(url.password);
    url.password = '';
    const at = (db: string) => Object.assign(new URL(url.href), { pathname: `/${encodeURIComponent(db)}` }).href;
    return { argv: ['bash', '-c', script, 'bash', at(from), at(to)], env: password ? { PGPASSWORD: password } : undefined };
  }
  const psql = requireDoctorAdmin(ctx).commandFor('postgres');
  if (!psql) throw new WizardError('BLOCKED', 'The superuser connection cannot run pg_dump.', { hint: 'Dump and restore by hand as shown.' });
  const i = psql.indexOf('psql');
  const conn: string[] = [];
  for (let k = i + 1; k < psql.length; k++) if (psql[k] === '-h' || psql[k] === '-p' || psql[k] === '-U') conn.push(psql[k]!, psql[++k]!);
  const q = (x: string) => `'${x.replace(/'/g, `'\\''`)}'`;
  const c = conn.map(q).join(' ');
  return { argv: [...psql.slice(0, i), 'bash', '-c', `set -o pipefail; pg_dump --format=custom ${c} -d ${q(from)} | pg_restore --exit-on-error ${c} -d ${q(to)}`] };
}

function shownPipeline(ctx: DoctorContext, from: string, to: string): PlannedAction {
  try {
    return { kind: 'command', argv: pipeline(ctx, from, to).argv, note: 'dump and restore (custom format), stopping at the first error' };
  } catch {
    return { kind: 'note', text: `pg_dump --format=custom -d ${from} | pg_restore --exit-on-error -d ${to}, run where the server is (the doctor cannot with a URL connection)` };
  }
}

export function recreatePlan(ctx: DoctorContext, names: { fresh: string; old: string }): PlannedAction[] {
  const db = ctx.target.dbname;
  return [
    { kind: 'sql', sql: createDatabaseSql(names.fresh, ctx.target.user) },
    shownPipeline(ctx, db, names.fresh),
    { kind: 'note', text: `compare exact row counts of every table in ${db} and ${names.fresh}; stop on any difference (the original stays untouched)` },
    { kind: 'sql', sql: `ALTER DATABASE ${quoteIdent(db)} RENAME TO ${quoteIdent(names.old)}; ALTER DATABASE ${quoteIdent(names.fresh)} RENAME TO ${quoteIdent(db)}` },
    { kind: 'note', text: `keep ${names.old} as the backup; drop it yourself once Synapse runs well (DROP DATABASE ${quoteIdent(names.old)})` },
  ];
}

export async function recreateDatabase(ctx: DoctorContext, sc: StepContext, names: { fresh: string; old: string }): Promise<string> {
  const admin = requireDoctorAdmin(ctx);
  const db = ctx.target.dbname;
  const before = await rowCounts(ctx, db);
  await admin.exec(`DROP DATABASE IF EXISTS ${quoteIdent(names.fresh)}`);
  await admin.exec(createDatabaseSql(names.fresh, ctx.target.user));
  sc.log(`Dumping ${db} into ${names.fresh} (${Object.keys(before).length} tables)`);
  const p = pipeline(ctx, db, names.fresh);
  const r = await runArgv(p.argv, { timeoutMs: 24 * 3600_000, signal: sc.signal, env: p.env });
  const dropFresh = () => admin.exec(`DROP DATABASE IF EXISTS ${quoteIdent(names.fresh)}`);
  if (r.exitCode !== 0) {
    await dropFresh();
    const dup = /duplicate key/.test(r.stderr) ? ' Duplicate keys mean an index of the old database was already corrupt (matrix-org/synapse#15250): find the duplicate rows with the old collation and remove them first.' : '';
    throw new WizardError('PG_QUERY', `The restore into ${names.fresh} failed; ${db} is untouched and ${names.fresh} was dropped: ${(r.spawnError ?? r.stderr).trim().split('\n').slice(-3).join(' ')}${dup}`, { hint: 'Fix the reported problem and run the doctor again.' });
  }
  const after = await rowCounts(ctx, names.fresh);
  const diff = Object.keys({ ...before, ...after }).filter((t) => before[t] !== after[t]);
  if (diff.length) {
    await dropFresh();
    throw new WizardError('UNVERIFIED', `Row counts differ after the restore (${diff.slice(0, 5).map((t) => `${t}: ${before[t]} vs ${after[t]}`).join(', ')}); ${db} is untouched and the copy was dropped.`, { hint: 'Make sure Synapse and all workers are stopped, then run again.' });
  }
  const total = Object.values(after).reduce((a, b) => a + b, 0);
  await admin.exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${quoteLiteral(db)} AND pid <> pg_backend_pid()`);
  await admin.exec(`ALTER DATABASE ${quoteIdent(db)} RENAME TO ${quoteIdent(names.old)}`);
  await admin.exec(`ALTER DATABASE ${quoteIdent(names.fresh)} RENAME TO ${quoteIdent(db)}`);
  return `Recreated ${db} and restored it: ${Object.keys(after).length} tables, ${total} rows, every table's count equal. The old database is kept as ${names.old}.`;
}
