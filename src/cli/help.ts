// Each command's own help (`synapse-pg COMMAND --help`): its flags with their defaults, and an example that runs as printed.
import type { Command } from './args.js';

const WHERE = `Where things are (every command takes these):
  -c, --config PATH        Synapse's config file or conf.d directory (repeatable, in Synapse's order;
                           default: found in the usual places, /etc/matrix-synapse/homeserver.yaml first)
      --sandbox            the practice homeserver from "synapse-pg sandbox up" (its config and PostgreSQL)
      --state-dir DIR      where the practice homeserver's state is (default /var/lib/synapse-pg/sandbox,
                           or $SYNAPSE_PG_SANDBOX_STATE)`;

const RUN = `How it runs:
  -y, --yes                apply without asking (needed without a terminal)
      --dry-run            show every command, SQL statement and file diff; change nothing
      --json               one JSON object per line on stdout (use with --yes or --dry-run)
      --plain              line-by-line prompts instead of the full-screen app
  -h, --help               this help`;

const POSTGRES = `PostgreSQL:
      --pg-admin SPEC      how to reach PostgreSQL as an admin (a superuser, or a role with CREATEROLE and
                           CREATEDB on a managed server): local (default: psql as the postgres OS user,
                           PGHOST/PGPORT honoured), url:postgresql://USER@HOST:PORT/DB (PGPASSWORD keeps
                           the password off the command line), docker:CONTAINER
      --db-user NAME       Synapse's role (default synapse_user)
      --db-name NAME       Synapse's database (default synapse)
      --db-host HOST       host Synapse connects to (default localhost)
      --db-port PORT       port Synapse connects to (default 5432, or $PGPORT)
      --db-password-file F file holding the role's password (generated into F when F does not exist)
      --db-sslmode MODE    require|verify-ca|verify-full: TLS for Synapse (written to database.args) and
                           for every connection the wizard makes
      --db-sslrootcert F   the CA that signed the server's certificate (needed by verify-ca/verify-full)`;

const SYNAPSE = `Synapse's tools and service:
      --synapse-exec SPEC  where Synapse's tools run: local (default), docker:CONTAINER, chroot:DIR
      --path-map HOST=IN   a host path as seen inside the container (repeatable; implied for chroot:)
      --service SPEC       how Synapse is stopped and started: synctl (default) | systemd[:UNIT] |
                           compose:FILE[:SERVICE] | docker:CONTAINER`;

const EXIT = 'Exit status: 0 done and verified, 1 a step failed or was declined, 2 bad usage, 130 interrupted.';

export const COMMAND_HELP: Record<Exclude<Command, 'menu'>, string> = {
  setup: `synapse-pg setup: first-time setup of PostgreSQL for Synapse: the role, the database (C locale,
UTF8), Synapse's login in pg_hba.conf, and the database: section of its config. Each step is checked
first (read-only), shown, and applied on your confirmation, then verified by logging in as Synapse does.

Usage: synapse-pg setup [FLAGS]

${POSTGRES}
      --set-password       set the password of an existing role
      --pg-hba edit|skip   edit pg_hba.conf (default edit) or leave it alone (managed servers)
      --write-config       write the database: section even though the SQLite database holds data

${WHERE}

${RUN}

Example:
  synapse-pg setup -c /etc/matrix-synapse/homeserver.yaml --dry-run

${EXIT}
`,
  cutover: `synapse-pg cutover: port the SQLite database to PostgreSQL and switch Synapse over. Phase 1 copies
while Synapse keeps running; phase 2 stops it (you confirm, with the estimated downtime), copies what
changed, verifies every row, switches the config and starts Synapse on PostgreSQL. A run that stops
resumes from its journal; a Synapse that cannot start on PostgreSQL is rolled back to SQLite.

Usage: synapse-pg cutover [FLAGS]

      --engine copy|port-db  copy (default): rows loaded with COPY, phase 2 copies only what changed;
                           port-db: synapse_port_db alone (the reference, and the fallback)
${SYNAPSE}

${POSTGRES}

${WHERE}

${RUN}

Example:
  synapse-pg cutover -c /etc/matrix-synapse/homeserver.yaml --service systemd:matrix-synapse --dry-run

${EXIT}
`,
  doctor: `synapse-pg doctor: diagnose known failures (login refused, wrong locale, a port that stopped half
way, a container that cannot write its data...) and fix them, each fix confirmed and verified. Without
--error or --log it reads the errors of Synapse's last failed start from its log file.

Usage: synapse-pg doctor [FLAGS]

      --error "TEXT"       map an error text (from Synapse or synapse_port_db) to its diagnosis
      --log FILE           map every known error in a Synapse or port log to its diagnosis
      --allow-unsafe-locale  fix a wrong COLLATE/CTYPE with allow_unsafe_locale: true instead of
                           recreating the database (the risk is spelled out)
      --ca-file FILE       the CA that signed the OIDC provider's certificate, installed into the trust
                           store where Synapse runs
${SYNAPSE}

${POSTGRES}

${WHERE}

${RUN}
  --json prints one "finding" event per finding.

Example:
  synapse-pg doctor --error 'FATAL:  password authentication failed for user "synapse_user"'

Exit status: 0 no problem left (advice may be listed), 1 a problem left, 2 bad usage, 130 interrupted.
A problem is anything that keeps Synapse from its database, its own connection failing included.
`,
  maintain: `synapse-pg maintain TASK: look after Synapse's PostgreSQL database (from the config's database: section).

Usage: synapse-pg maintain report|backup|restore|vacuum|purge|rooms|compress [FLAGS]
  (without TASK on a terminal it asks which one; in scripts it is report)

Tasks:
  report                   database size, largest tables (bar chart), free disk of the data directory
      --top N              how many tables to show (default 15)
  backup                   pg_dump -Fc (data of e2e_one_time_keys_json left out), checked with
                           pg_restore --list
      --backup-file PATH   the archive to write (never overwritten; row counts go to PATH.rows.json)
  restore                  into a NEW database made with setup's rules, proven by row counts
      --backup-file PATH   the archive to read
      --restore-db NAME    the database to create (an existing one is refused)
  vacuum                   VACUUM (ANALYZE), online
      --full               VACUUM FULL: Synapse stopped (--service stops and starts it), and free disk
                           of at least the largest table; reports the space reclaimed
  purge                    delete history through the Admin API (purge_history, status polled)
      --room ID            a room (repeatable), or --all-rooms
      --before DATE        cut-off: 2024-01-31, an ISO time, or 90d (days ago)
      --delete-local-events  also delete events sent by local users (kept by default)
  rooms                    list rooms without local members, delete them (Admin API v2)
  compress                 run synapse_auto_compressor when installed; says how to install it when not
      --admin-token-file F a server admin's access token (purge, rooms); asked, hidden, when absent
      --synapse-url URL    Synapse's client listener (default: from the config's listeners)
  Before purge, rooms, compress and vacuum --full a backup is offered first.

      --pg-admin SPEC      a superuser, for the data directory's free disk and restore (default local)
${SYNAPSE}

${WHERE}

${RUN}

Example:
  synapse-pg maintain report --top 20

${EXIT}
`,
  status: `synapse-pg status: where things stand, read-only: the config, the database in use, whether Synapse
runs and on which database, and an unfinished cutover (its journal checked against the system).

Usage: synapse-pg status [FLAGS]

      --synapse-exec SPEC  where Synapse runs, to map its paths: local (default), docker:CONTAINER,
                           chroot:DIR
      --path-map HOST=IN   a host path as seen inside the container (repeatable)
      --db-host HOST       where to look for PostgreSQL when no config says (default localhost)
      --db-port PORT       (default 5432, or $PGPORT)
      --json               the report as one JSON object

${WHERE}

Example:
  synapse-pg status --sandbox

Exit status: 0 reported, 2 bad usage.
`,
  sandbox: `synapse-pg sandbox up|down|status: a practice homeserver to rehearse the cutover on: the real Synapse
(Debian's matrix-synapse, in a chroot) on SQLite with users, rooms and messages, and a PostgreSQL cluster
to move it to. Needs root on Debian. "up" prints its config's path; then every command takes --sandbox.

Usage: synapse-pg sandbox up|down|status [FLAGS]   (status by default)

      --state-dir DIR      where its state is kept (default /var/lib/synapse-pg/sandbox,
                           or $SYNAPSE_PG_SANDBOX_STATE)
      --chroot DIR         the Synapse chroot (default /var/cache/synapse-pg/synapse-sid, or $SYNAPSE_CHROOT)
      --json               one JSON object per line
  -h, --help               this help

Example:
  synapse-pg sandbox up && synapse-pg cutover --sandbox

${EXIT}
`,
};
