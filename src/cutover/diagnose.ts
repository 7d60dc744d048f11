// Turns a failed synapse_port_db run (exit code 1-5 and the text it printed) into what went wrong and what to do, after FAILURES.md.
import { WizardError } from '../core/errors.js';
import { ERROR_TEXTS, matchesAny } from '../synapse/known-errors.js';

interface Known {
  test: RegExp[];
  what: string;
  hint: string;
}

const KNOWN: Known[] = [
  { test: ERROR_TEXTS.backgroundUpdates, what: 'the SQLite snapshot has unfinished background updates', hint: 'Run update_synapse_database --database-config <snapshot config> --run-background-updates with the same Synapse on the snapshot (the wizard does this when preflight finds them), then run cutover again.' },
  { test: ERROR_TEXTS.autoVacuum, what: 'auto_vacuum is on in the SQLite file, so rowids are not stable between runs', hint: 'Stop Synapse, run sqlite3 homeserver.db "PRAGMA auto_vacuum=off; VACUUM;" once, start Synapse, then run cutover again. Never VACUUM between port runs.' },
  { test: ERROR_TEXTS.sqliteReadonly, what: "synapse_port_db cannot write to the SQLite copy it ports (it records schema bookkeeping there)", hint: "Make the snapshot directory writable by the user Synapse's tools run as (in Docker usually uid 991)." },
  { test: ERROR_TEXTS.streamPositions, what: "a PostgreSQL sequence is behind its stream position in stream_positions", hint: "With Synapse and all workers stopped, raise the sequence with setval to the stream position (or DELETE FROM stream_positions WHERE stream_name = '<stream>')." },
  { test: ERROR_TEXTS.targetNotEmpty, what: 'the target database already held rows that are not from this SQLite file (not empty, or Synapse was started on it)', hint: 'Drop and recreate the target database (DROP DATABASE; synapse-pg setup), then run cutover again: a port only resumes on the same snapshot lineage.' },
  { test: ERROR_TEXTS.invalidUtf8, what: 'a row in SQLite holds bytes that are not valid UTF-8, which PostgreSQL refuses', hint: 'Find the row named in the port log and fix or delete it in a copy; there is no official fix (matrix-org/synapse#3538).' },
  { test: ERROR_TEXTS.oldPortScript, what: 'a bug of older port scripts', hint: 'Port with a current Synapse (the tools given with --synapse-exec).' },
  { test: ERROR_TEXTS.sqliteCorrupt, what: 'a value in SQLite is not a number where one is expected (suspected SQLite corruption)', hint: 'Run sqlite3 homeserver.db "PRAGMA integrity_check" and restore a backup if it reports damage.' },
  { test: ERROR_TEXTS.serverName, what: "the config's server_name differs from the one the data was created with", hint: 'Use the original server_name; it can never be changed after Synapse has been set up.' },
  { test: ERROR_TEXTS.schemaTooNew, what: "the Synapse running the port is older than the schema of the SQLite file", hint: 'Port with the same or a newer Synapse than the one that wrote the file (--synapse-exec pointing at it).' },
  { test: ERROR_TEXTS.diskFull, what: 'a disk filled up during the port', hint: "Free space where the snapshot lives and in PostgreSQL's data directory (it needs 1-2x the SQLite size), then run cutover again; it resumes." },
  { test: ERROR_TEXTS.locale, what: "the target database's encoding or locale is not what Synapse needs", hint: "Recreate it UTF8 with LC_COLLATE and LC_CTYPE 'C' from template0 (synapse-pg setup does)." },
  { test: [...ERROR_TEXTS.passwordFailed, ...ERROR_TEXTS.hbaRejected, ...ERROR_TEXTS.peerFailed, ...ERROR_TEXTS.dockerNoHbaEntry], what: 'synapse_port_db could not log in to PostgreSQL with the credentials in homeserver-postgres.yaml', hint: 'Run synapse-pg setup with the same flags; it proves the login Synapse will use.' },
  { test: ERROR_TEXTS.unreachable, what: 'synapse_port_db cannot reach PostgreSQL from where it runs', hint: 'Inside a container "localhost" is the container itself: use a host name the container can reach (--db-host) and allow it in pg_hba.conf.' },
  { test: ERROR_TEXTS.pgTooOld, what: 'the PostgreSQL server is too old for this Synapse', hint: 'Upgrade PostgreSQL or point --db-host/--db-port at a newer server.' },
];

const EXIT: Record<number, Known> = {
  1: { test: [], what: 'synapse_port_db did not find the SQLite file', hint: 'The snapshot path is not visible where the tools run; add --path-map HOST=INSIDE for the directory that holds the SQLite file.' },
  2: { test: [], what: "the database section in homeserver-postgres.yaml has no 'name'", hint: 'Remove homeserver-postgres.yaml and run cutover again so the wizard writes it.' },
  3: { test: [], what: "the database section in homeserver-postgres.yaml does not use 'psycopg2'", hint: 'Remove homeserver-postgres.yaml and run cutover again so the wizard writes it.' },
  4: { test: [], what: "homeserver-postgres.yaml has no 'database' section", hint: 'Remove homeserver-postgres.yaml and run cutover again so the wizard writes it.' },
};

/** The diagnosis of a failed run, or of an error text the script (or the copy engine, `tool`) met. */
export function diagnosePort(exitCode: number | undefined, text: string, logFile: string, tool = 'synapse_port_db'): WizardError {
  const code = exitCode === undefined ? '' : ` (exit code ${exitCode})`;
  const known = KNOWN.find((k) => matchesAny(k.test, text)) ?? (exitCode !== undefined ? EXIT[exitCode] : undefined);
  const last = text.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
  if (known) {
    return new WizardError('PORT_FAILED', `${tool} failed${code}: ${known.what}. It printed: ${last.slice(0, 600)}`, { hint: `${known.hint} Full log: ${logFile}` });
  }
  if (exitCode === 127) {
    return new WizardError('PORT_FAILED', 'synapse_port_db was not found where the tools run.', { hint: 'Point --synapse-exec at the Synapse installation (local, docker:CONTAINER or chroot:DIR).' });
  }
  return new WizardError('PORT_FAILED', `${tool} failed${code}, and no known cause matches what it said: ${last.slice(0, 600) || 'no output'}`, { hint: `Read the full log: ${logFile}. Running cutover again resumes the port; synapse-pg doctor --error "..." looks for a cause.` });
}
