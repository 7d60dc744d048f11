// When the ground truth fails and no diagnosis explains it, the doctor says so and quotes the error; when an error text
// matches nothing it knows, it says that too, with what to collect next. Never a silent "no known problem".
import { describeProbe } from '../adapters/synapse-probe.js';
import type { DoctorContext } from './context.js';
import type { Diagnosis, Finding } from './types.js';

/** Findings that explain a failed connection as Synapse makes it. */
export const EXPLAINS_PROBE = new Set([
  'config-unreadable', 'postgres-down', 'database-engine-name', 'libpq-missing', 'ssl-mismatch', 'listen-addresses', 'docker-network', 'role-missing',
  'role-password', 'role-nologin', 'connect-revoked', 'role-expired', 'connection-limit', 'max-connections', 'database-missing', 'pg-hba-auth',
  'peer-socket', 'public-schema-permission', 'pg-too-old', 'disk-space',
]);

export function unexplainedFinding(ctx: DoctorContext, checked: string[]): Finding | undefined {
  const p = ctx.probe;
  if (!p || p.ok) return undefined;
  return {
    id: 'unexplained',
    title: 'Synapse cannot use its database, and no known cause explains it',
    evidence: `${describeProbe(p)} Checked and found healthy or not applicable: ${checked.join(', ')}.`,
    cause: `Unknown: the error above${p.sqlstate ? ` (SQLSTATE ${p.sqlstate}: see the PostgreSQL manual's appendix "PostgreSQL Error Codes")` : ''} matches none of the doctor's diagnoses.`,
    fix: `collect the PostgreSQL server log at the time of this run (it says why the server refused), SELECT * FROM pg_roles WHERE rolname = '${ctx.target.user}', SELECT * FROM pg_hba_file_rules, and Synapse's log, then fix the cause named there and run the doctor again`,
    needsSynapseStopped: false,
    plan: [],
  };
}

export function notRecognisedFinding(lines: string[]): Finding {
  const shown = lines.slice(0, 3).map((l) => `"${l.trim().slice(0, 300)}"`).join(', ');
  return {
    id: 'error-not-recognised',
    title: 'The error text given is not one the doctor recognises',
    evidence: `${shown}${lines.length > 3 ? ` and ${lines.length - 3} more line(s)` : ''} match no known failure (English, or a translation PostgreSQL ships).`,
    cause: 'Unknown to the doctor; the checks of the live system above are all it can say.',
    fix: "collect the full error with its SQLSTATE (psql: \\set VERBOSITY verbose; Synapse's log has the Python traceback), the PostgreSQL server log at that time, and the versions of Synapse and PostgreSQL; run the doctor with --log on Synapse's log, or report it with those",
    needsSynapseStopped: false,
    plan: [],
  };
}

export const explainsProbe = (d: Diagnosis) => EXPLAINS_PROBE.has(d.id);
