// The Python that asks the installed synapse_port_db for its rules and lets its own code prepare PostgreSQL (schema, background
// updates, port_from_sqlite3, every sequence), with only the row copying left out: that is the copy engine's part.
// It runs through the same exec prefix as Synapse's tools, read from stdin (python3 - synapse_port_db-copy-driver MODE SQLITE CONFIG).
export const DRIVER_PY = String.raw`
import json, sys

def out(kind, value):
    sys.stdout.write("SPGW-JSON " + json.dumps({"kind": kind, "value": value}) + "\n")
    sys.stdout.flush()

try:
    import synapse
    from synapse._scripts import synapse_port_db as spd
except Exception as e:
    out("missing", "cannot import synapse._scripts.synapse_port_db: %s" % (e,))
    sys.exit(3)

lacking = [n for n in ("APPEND_ONLY_TABLES", "BOOLEAN_COLUMNS", "IGNORED_TABLES", "Porter", "main") if not hasattr(spd, n)]
porter = getattr(spd, "Porter", object)
lacking += ["Porter.%s" % m for m in ("run", "setup_table", "handle_table", "_setup_sent_transactions") if not hasattr(porter, m)]
if lacking:
    out("missing", "the installed synapse_port_db lacks " + ", ".join(lacking))
    sys.exit(3)

out("rules", {
    "synapseVersion": synapse.__version__,
    "appendOnly": sorted(spd.APPEND_ONLY_TABLES),
    "booleanColumns": {t: list(c) for t, c in spd.BOOLEAN_COLUMNS.items()},
    "ignored": sorted(spd.IGNORED_TABLES),
    "autoincrement": sorted(getattr(spd, "AUTOINCREMENT_TABLES", set())),
})
mode, sqlite, config = sys.argv[2], sys.argv[3], sys.argv[4]
if mode == "rules":
    sys.exit(0)

tables = []

async def setup_table(self, table):
    tables.append(table)
    return table, 0, 0, 1, 0

async def handle_table(self, table, *args):
    return None

spd.Porter.setup_table = setup_table
spd.Porter.handle_table = handle_table
sys.argv = ["synapse_port_db", "--sqlite-database", sqlite, "--postgres-config", config]
try:
    spd.main()
finally:
    out("tables", sorted(tables))
`;
