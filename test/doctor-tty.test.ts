// Doctor in a real terminal (a pseudo-terminal driven by Python's pty): each fix is asked for; declining leaves the system as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setDatabaseSection } from '../src/config/database-block.js';
import { tunedConf } from './helpers/memory.js';
import { startCluster } from './helpers/cluster.js';
import { BIN } from './helpers/cli.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'generated', 'homeserver.yaml');

/** Runs argv in a pseudo-terminal, typing each answer once its prompt text has appeared and the terminal is in raw mode; returns the screen text without escapes. */
const DRIVER = String.raw`
import os, pty, sys, json, select, time, re, fcntl, termios, struct, signal
spec = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.environ.update(spec['env'])
    os.execvp(spec['argv'][0], spec['argv'])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 50, 160, 0, 0))
answers, out, seen = spec['answers'], b'', 0
strip = lambda b: re.sub(r'\x1b\[[0-9;?]*[A-Za-z]', '', b.decode('utf8', 'replace'))
deadline = time.time() + 120
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        out += data
    text = strip(out)
    if answers and answers[0][0] in text[seen:]:
        seen = text.index(answers[0][0], seen) + len(answers[0][0])
        # the prompt reads keys once it has put the terminal in raw mode (the pty's termios, shared with the master): wait for it
        raw_by = time.time() + 10
        while termios.tcgetattr(fd)[3] & termios.ICANON and time.time() < raw_by:
            select.select([], [], [], 0.01)
        os.write(fd, answers.pop(0)[1].encode())
else:
    os.kill(pid, signal.SIGKILL)
    out += b'\n[driver: timed out waiting for ' + repr(answers[:1]).encode() + b']'
_, status = os.waitpid(pid, 0)
sys.stdout.write(strip(out))
sys.exit(os.waitstatus_to_exitcode(status))
`;

function inTerminal(argv: string[], env: Record<string, string>, answers: [string, string][]): { code: number | null; screen: string } {
  const r = spawnSync('python3', ['-c', DRIVER, JSON.stringify({ argv, env: { ...env, TERM: 'xterm', COLUMNS: '160', LINES: '50' }, answers })], { encoding: 'utf8', timeout: 150_000 });
  if (r.error) throw new Error(`python3 is needed to drive a pseudo-terminal (apt-get install -y python3): ${r.error.message}`);
  return { code: r.status, screen: r.stdout + r.stderr };
}

test('doctor in a terminal asks before each fix: "No" leaves the config alone, "Yes" applies and verifies', async () => {
  const c = await startCluster({ extraConf: tunedConf() });
  const dir = mkdtempSync(join(tmpdir(), 'spgw-doctor-tty-'));
  try {
    const password = randomBytes(15).toString('base64url');
    c.psql(`CREATE ROLE synapse_user LOGIN PASSWORD '${password}'; CREATE DATABASE synapse OWNER synapse_user TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
    const cfg = join(dir, 'homeserver.yaml');
    const text = setDatabaseSection(readFileSync(FIXTURE, 'utf8').replaceAll('/tmp/gen', dir), { name: 'psycopg2', args: { user: 'synapse_user', password, dbname: 'synapse', host: 'localhost', port: c.port } });
    writeFileSync(cfg, text);
    const argv = [process.execPath, BIN, 'doctor', '--plain', '-c', cfg];
    const env = { ...c.env, PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir };

    // right arrow moves clack's confirm to "No"
    const no = inTerminal(argv, env, [['Apply?', '\x1b[C\r']]);
    // keepalives is advice: declining it leaves it listed and does not fail the run (issue #13)
    assert.equal(no.code, 0, no.screen);
    assert.match(no.screen, /Advice left as it is: No TCP keepalives in database\.args\./);
    assert.match(no.screen, /No TCP keepalives in database\.args: add keepalives_idle: 10, keepalives_interval: 10, keepalives_count: 3 to database\.args, then restart Synapse\. Apply\?/);
    assert.match(no.screen, /Not applied: you declined\./);
    assert.equal(readFileSync(cfg, 'utf8'), text);
    assert.ok(!no.screen.includes(password), 'the password in the diff is redacted on screen too');

    const yes = inTerminal(argv, env, [['Apply?', '\r']]);
    assert.equal(yes.code, 0, yes.screen);
    assert.match(yes.screen, /Fixed: No TCP keepalives in database\.args\r?\n/);
    assert.match(readFileSync(cfg, 'utf8'), /keepalives_count: 3/);
  } finally {
    c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
