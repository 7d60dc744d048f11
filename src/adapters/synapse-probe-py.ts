// The Python that connects as Synapse does: psycopg2.connect(**database.args) without Twisted's cp_* pool keys, then reads
// schema_version where it exists and writes in a transaction that is rolled back. It reads its request from its own text
// (stdin: python3 -), so the password never reaches an argv; it answers one line "SPGW-PROBE {json}".
export const PROBE_MARK = 'SPGW-PROBE ';

export function probeScript(requestB64: string): string {
  return String.raw`
import base64, json, sys
REQ = json.loads(base64.b64decode("${requestB64}").decode("utf-8"))

def out(**kw):
    sys.stdout.write("SPGW-PROBE " + json.dumps(kw) + "\n")
    sys.stdout.flush()

try:
    import psycopg2
except Exception as e:
    out(ok=False, stage="import", error="%s: %s" % (type(e).__name__, e))
    sys.exit(0)

# Twisted's adbapi.ConnectionPool takes these out of database.args; everything else goes to psycopg2.connect as it is.
CP = ("cp_min", "cp_max", "cp_name", "cp_noisy", "cp_openfun", "cp_reconnect", "cp_good_sql")
args = dict((k, v) for k, v in REQ["args"].items() if k not in CP)
stage = "connect"
info = {"driver": "psycopg2 %s" % psycopg2.__version__}
try:
    conn = psycopg2.connect(**args)
    try:
        stage = "read"
        cur = conn.cursor()
        cur.execute("SELECT current_user, current_setting('server_version_num'), current_setting('server_encoding'), (SELECT datcollate FROM pg_database WHERE datname = current_database()), (SELECT datctype FROM pg_database WHERE datname = current_database())")
        u, v, enc, coll, ctype = cur.fetchone()
        info.update(user=u, serverVersionNum=int(v), encoding=enc, collate=coll, ctype=ctype)
        cur.execute("SELECT to_regclass('schema_version') IS NOT NULL")
        if cur.fetchone()[0]:
            cur.execute("SELECT version, upgraded FROM schema_version")
            row = cur.fetchone()
            info["schemaVersion"] = row[0] if row else None
        stage = "write"
        cur.execute("SET LOCAL lock_timeout = '5s'")
        cur.execute("SET LOCAL statement_timeout = '20s'")
        cur.execute("CREATE TABLE synapse_pg_wizard_probe (id BIGINT PRIMARY KEY, t TEXT)")
        cur.execute("INSERT INTO synapse_pg_wizard_probe VALUES (1, 'probe')")
        if "schemaVersion" in info:
            cur.execute("UPDATE schema_version SET upgraded = upgraded")
        conn.rollback()
        stage = "done"
    finally:
        conn.close()
    out(ok=True, stage=stage, **info)
except psycopg2.Error as e:
    out(ok=False, stage=stage, pgcode=getattr(e, "pgcode", None), errorClass=type(e).__name__, error=str(e).strip(), **info)
except Exception as e:
    out(ok=False, stage=stage, errorClass=type(e).__name__, error=str(e).strip(), **info)
`;
}
