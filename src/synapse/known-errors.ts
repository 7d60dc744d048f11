// Error texts of Synapse, synapse_port_db and PostgreSQL whose cause is known: one table, read by the cutover's port diagnosis and by the doctor.

/** The "no pg_hba.conf entry" of a client on one of Docker's default networks (172.16.0.0/12); group 1 is its address. */
export const DOCKER_NO_HBA_ENTRY = /no pg_hba\.conf entry for host "(172\.(?:1[6-9]|2\d|3[01])\.\d+\.\d+)"/;

export const ERROR_TEXTS = {
  backgroundUpdates: [/Pending background updates exist in the SQLite3 database/],
  autoVacuum: [/auto_vacuum is enabled in the SQLite database/],
  sqliteReadonly: [/attempt to write a readonly database/],
  streamPositions: [/Postgres sequence '[^']+' is inconsistent with associated stream position/],
  /** The target already held rows: not empty, or Synapse was started on it. */
  targetNotEmpty: [/duplicate key value violates unique constraint/, /violates foreign key constraint/],
  invalidUtf8: [/invalid byte sequence for encoding "UTF8"/],
  oldPortScript: [/column "[^"]+" is of type boolean but expression is of type integer/, /integer out of range/],
  sqliteCorrupt: [/invalid input syntax for type bigint/, /database disk image is malformed/],
  serverName: [/Found users in database not native to/, /You cannot change a synapse server_name/],
  schemaTooNew: [/too new for the server to understand/],
  diskFull: [/No space left on device/i, /could not extend file/i, /disk full/i],
  locale: [/Database is incorrectly configured/, /Database has incorrect (collation|ctype|encoding)/, /'(COLLATE|CTYPE)' is set to/, /incorrect encoding: .* instead of 'UTF8'/],
  passwordFailed: [/password authentication failed for user/],
  /** ident, or no line at all for a client that is not on a Docker network (those are DOCKER_NO_HBA_ENTRY). */
  hbaRejected: [/Ident authentication failed for user/, /no pg_hba\.conf entry for host "(?!172\.(1[6-9]|2\d|3[01])\.)/],
  peerFailed: [/Peer authentication failed for user/],
  dockerNoHbaEntry: [DOCKER_NO_HBA_ENTRY],
  unreachable: [/Connection refused/, /could not connect to server/, /could not translate host name/, /No route to host/],
  pgTooOld: [/Synapse requires PostgreSQL 1\d or above/],
} satisfies Record<string, RegExp[]>;

/** Whether any of the patterns matches the text. */
export function matchesAny(patterns: RegExp[], text: string): boolean {
  return patterns.some((p) => p.test(text));
}
