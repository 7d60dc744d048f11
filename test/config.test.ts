// Synapse config module: discovery as Synapse reads paths, merge order, and byte-exact database block edits (round-trip style).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { AUTO_DETECT, expandConfigPaths, findConfigPaths } from '../src/config/discover.js';
import { loadConfig, sqliteDatabasePath, type DatabaseSection, type LoadedConfig } from '../src/config/load.js';
import { postgresDatabaseSection, renderConfigWithDatabase, setDatabaseSection } from '../src/config/database-block.js';
import { unifiedDiff } from '../src/core/diff.js';
import { redact, registerSecret } from '../src/core/redact.js';
import { WizardError } from '../src/core/errors.js';

import { requireSynapseChroot } from './helpers/synapse.js';
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const GENERATED = join(FIXTURES, 'generated', 'homeserver.yaml');
const DEBIAN = join(FIXTURES, 'debian');
const CHROOT = process.env.SYNAPSE_CHROOT ?? '/var/cache/synapse-pg/synapse-sid';
const generated = readFileSync(GENERATED, 'utf8');

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'spgw-config-'));
}

function section(password = 'secret-pw'): DatabaseSection {
  return postgresDatabaseSection(
    { user: 'synapse', password, dbname: 'synapse', host: 'localhost', port: 5432, cp_min: 5, cp_max: 10, keepalives_idle: 10, keepalives_interval: 10, keepalives_count: 3 },
    { txn_limit: 10000 },
  );
}

const BLOCK = `database:
  name: psycopg2
  txn_limit: 10000
  args:
    user: synapse
    password: secret-pw
    dbname: synapse
    host: localhost
    port: 5432
    cp_min: 5
    cp_max: 10
    keepalives_idle: 10
    keepalives_interval: 10
    keepalives_count: 3
`;


/** What the real Synapse's PyYAML (safe_load, in the Debian chroot) reads from each text. */
function pyLoad(texts: string[]): unknown[] {
  requireSynapseChroot();
  const script = 'import json,sys,yaml\nprint(json.dumps([yaml.safe_load(t) for t in json.load(sys.stdin)]))';
  return JSON.parse(execFileSync('chroot', [CHROOT, 'python3', '-c', script], { input: JSON.stringify(texts), encoding: 'utf8' }));
}

async function rejects(p: Promise<unknown>, code: string, message?: RegExp): Promise<WizardError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof WizardError, String(e));
    assert.equal(e.code, code);
    if (message) assert.match(e.message, message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

test("Synapse's generated homeserver.yaml: only the database block changes, byte for byte", () => {
  const start = generated.indexOf('database:\n');
  const end = generated.indexOf('log_config:');
  assert.equal(generated.slice(start, end), 'database:\n  name: sqlite3\n  args:\n    database: /tmp/gen/homeserver.db\n');
  const out = setDatabaseSection(generated, section());
  assert.equal(out, generated.slice(0, start) + BLOCK + generated.slice(end));
  assert.ok(out.startsWith(generated.slice(0, start)));
  assert.ok(out.endsWith(generated.slice(end)));
  assert.equal(setDatabaseSection(out, section()), out, 'a second call changes nothing');
  const before = parse(generated);
  const after = parse(out);
  assert.deepEqual(after.database, section());
  assert.deepEqual({ ...after, database: undefined }, { ...before, database: undefined });
});

const NASTY = [
  'p:ss', 'p: ss', '#hash', 'a #b', "'quote", '"dq"', "it's", '*star', '&amp', '!bang', '@at', '%pct', '`tick', '- dash', '? q',
  '|pipe', '>gt', '{brace}', '[br]', ',comma', 'yes', 'No', 'on', 'OFF', 'null', '~', '123', '0o17', '0x1F', '017', '1:20', '1e3', '.inf',
  ' lead', 'trail ', 'back\\slash', 'tab\there', 'üñí©ødé', '😀x', 'del\u007f', 'ls\u2028x', 'nel\u0085x', '=', '<<', '---', '...', 'x'.repeat(300),
];

test('passwords with any printable character round-trip through our parser and stay idempotent', () => {
  for (const pw of NASTY) {
    const out = setDatabaseSection(generated, section(pw));
    assert.equal(parse(out, { version: '1.1' }).database.args.password, pw, JSON.stringify(pw));
    assert.equal(parse(out).database.args.password, pw, `YAML 1.2 too: ${JSON.stringify(pw)}`);
    assert.equal(setDatabaseSection(out, section(pw)), out);
  }
});

test("passwords round-trip through Synapse's own PyYAML", () => {
  const outs = NASTY.map((pw) => setDatabaseSection(generated, section(pw)));
  const loaded = pyLoad(outs) as Array<{ database: DatabaseSection; server_name: string }>;
  loaded.forEach((cfg, i) => {
    assert.deepEqual(cfg.database, section(NASTY[i]));
    assert.equal(cfg.server_name, 'example.org');
  });
});

test('a CRLF file keeps CRLF everywhere', () => {
  const crlf = generated.replace(/\n/g, '\r\n');
  const out = setDatabaseSection(crlf, section());
  assert.equal(out, setDatabaseSection(generated, section()).replace(/\n/g, '\r\n'));
  assert.doesNotMatch(out, /[^\r]\n/);
  assert.equal(setDatabaseSection(out, section()), out);
});

test('no database key: the block is appended, with a newline first when the file lacks one', () => {
  assert.equal(setDatabaseSection('server_name: x\nreport_stats: false\n', section()), `server_name: x\nreport_stats: false\n${BLOCK}`);
  assert.equal(setDatabaseSection('server_name: x # end', section()), `server_name: x # end\n${BLOCK}`);
  assert.equal(setDatabaseSection('server_name: x\r\n', section()), `server_name: x\r\n${BLOCK.replace(/\n/g, '\r\n')}`);
  assert.equal(setDatabaseSection('', section()), BLOCK);
  assert.equal(setDatabaseSection('# nothing yet\n', section()), `# nothing yet\n${BLOCK}`);
  const out = setDatabaseSection('a: 1', section());
  assert.equal(setDatabaseSection(out, section()), out);
});

test('database block last without a trailing newline stays without one', () => {
  const text = 'server_name: x\ndatabase:\n  name: sqlite3\n  args:\n    database: /data/homeserver.db';
  const out = setDatabaseSection(text, section());
  assert.equal(out, `server_name: x\n${BLOCK.slice(0, -1)}`);
  assert.equal(setDatabaseSection(out, section()), out);
});

test('comments above and after the block stay; comments inside it go', () => {
  const text = [
    '# top',
    'server_name: x',
    '',
    '# The database Synapse uses.',
    'database: # inline on the key line',
    '  # inside',
    '  name: sqlite3',
    '  args:',
    '    database: homeserver.db # inline on the last line',
    '  # indented, after the last line',
    '# after',
    '',
    'report_stats: false',
    '',
  ].join('\n');
  const out = setDatabaseSection(text, section());
  const expected = [
    '# top', 'server_name: x', '', '# The database Synapse uses.',
    ...BLOCK.trimEnd().split('\n'),
    '  # indented, after the last line', '# after', '', 'report_stats: false', '',
  ].join('\n');
  assert.equal(out, expected);
  assert.equal(setDatabaseSection(out, section()), out);
});

test('flow style and repeated database keys: the last one (the one PyYAML uses) becomes the block', () => {
  assert.equal(setDatabaseSection('database: {name: sqlite3, args: {database: x}} # c\nz: 1\n', section()), `${BLOCK}z: 1\n`);
  const dup = 'database:\n  name: sqlite3\nmid: 1\ndatabase:\n  name: sqlite3\n  args: {database: y}\nend: 2\n';
  assert.equal(setDatabaseSection(dup, section()), `mid: 1\n${BLOCK}end: 2\n`);
});

test('edits that would change other settings are refused, nothing half-done', () => {
  assert.throws(() => setDatabaseSection('- a\n- b\n', section()), (e: WizardError) => e.code === 'BAD_INPUT');
  assert.throws(() => setDatabaseSection('{a: 1}\n', section()), (e: WizardError) => e.code === 'BAD_INPUT');
  const anchored = 'database: &db\n  name: sqlite3\n  args: {database: x}\ncopy: *db\n';
  assert.throws(() => setDatabaseSection(anchored, section()), (e: WizardError) => e.code === 'BAD_INPUT');
  assert.throws(() => setDatabaseSection('a: [\n', section()), (e: WizardError) => e.code === 'CONFIG_PARSE');
});

test('Debian layout: homeserver.yaml then conf.d/*.yaml, database in homeserver.yaml', async () => {
  const paths = await expandConfigPaths([join(DEBIAN, 'homeserver.yaml'), join(DEBIAN, 'conf.d')]);
  assert.deepEqual(paths, [join(DEBIAN, 'homeserver.yaml'), join(DEBIAN, 'conf.d', 'report_stats.yaml')]);
  const cfg = await loadConfig(paths);
  assert.equal(cfg.merged.report_stats, false);
  assert.equal(cfg.databaseFile?.path, join(DEBIAN, 'homeserver.yaml'));
  assert.deepEqual(cfg.database, { name: 'sqlite3', args: { database: '/var/lib/matrix-synapse/homeserver.db' } });
  assert.equal(sqliteDatabasePath(cfg), '/var/lib/matrix-synapse/homeserver.db');
});

test('a config directory is read like find_config_files: regular *.yaml files (links followed), sorted', async () => {
  const dir = tmp();
  for (const f of ['b.yaml', 'a.yaml', 'c.yml', '.hidden.yaml', 'B.yaml', 'target']) writeFileSync(join(dir, f), 'x: 1\n');
  mkdirSync(join(dir, 'sub.yaml'));
  symlinkSync(join(dir, 'target'), join(dir, 'link.yaml'));
  symlinkSync(join(dir, 'missing'), join(dir, 'dangling.yaml'));
  assert.deepEqual(await expandConfigPaths([dir]), ['.hidden.yaml', 'B.yaml', 'a.yaml', 'b.yaml', 'link.yaml'].map((f) => join(dir, f)));
});

test('merge is shallow and later files win; databaseFile is the last file with a database key', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'homeserver.yaml'), 'server_name: x\nreport_stats: yes\nlisteners: [{port: 8008}]\ndatabase:\n  name: sqlite3\n  args: {database: a.db}\n');
  mkdirSync(join(dir, 'conf.d'));
  writeFileSync(join(dir, 'conf.d', '10-db.yaml'), 'database:\n  name: psycopg2\n  args: {user: s}\n');
  writeFileSync(join(dir, 'conf.d', '20-empty.yaml'), '# only a comment\n');
  writeFileSync(join(dir, 'conf.d', '30-list.yaml'), '- not a map\n');
  const cfg = await loadConfig(await expandConfigPaths([join(dir, 'homeserver.yaml'), join(dir, 'conf.d')]));
  assert.equal(cfg.files.length, 4);
  assert.equal(cfg.merged.report_stats, true, 'YAML 1.1 like PyYAML: yes is true');
  assert.equal(cfg.databaseFile?.path, join(dir, 'conf.d', '10-db.yaml'));
  assert.deepEqual(cfg.database, { name: 'psycopg2', args: { user: 's' } });
  assert.deepEqual(cfg.files[2].data, {});
  assert.deepEqual(cfg.files[3].data, {});
  assert.equal(cfg.warnings.length, 2);
  assert.equal(sqliteDatabasePath(cfg), undefined);
});

/**
 * Runs the built findConfigPaths in a private mount namespace where /etc is an overlay (so /etc/matrix-synapse can be removed
 * or created without touching the machine) and /data, when the machine has it, is hidden under an empty tmpfs.
 */
function discoverIsolated(cwd: string, home: string): Array<string[] | null> {
  const scratch = tmp();
  mkdirSync(join(scratch, 'upper'));
  mkdirSync(join(scratch, 'work'));
  const mod = join(import.meta.dirname, '..', 'dist', 'src', 'config', 'discover.js');
  const script = `
    import { mkdirSync, writeFileSync } from 'node:fs';
    const { findConfigPaths } = await import(${JSON.stringify(mod)});
    const env = { cwd: ${JSON.stringify(cwd)}, home: ${JSON.stringify(home)} };
    const out = [];
    const look = async () => out.push((await findConfigPaths(undefined, env)) ?? null);
    await look(); // nothing anywhere
    mkdirSync(env.home + '/synapse'); writeFileSync(env.home + '/synapse/homeserver.yaml', 'a: 1\\n');
    await look(); // the virtualenv install
    mkdirSync('/etc/matrix-synapse/conf.d', { recursive: true });
    writeFileSync('/etc/matrix-synapse/homeserver.yaml', 'a: 1\\n'); writeFileSync('/etc/matrix-synapse/conf.d/10-db.yaml', 'b: 1\\n');
    await look(); // the Debian package comes before it
    writeFileSync(env.cwd + '/homeserver.yaml', 'a: 1\\n');
    await look(); // and ./homeserver.yaml before everything
    console.log(JSON.stringify(out));`;
  const sh = [
    'set -e',
    `mount -t overlay overlay -o lowerdir=/etc,upperdir=${scratch}/upper,workdir=${scratch}/work /etc`,
    'rm -rf /etc/matrix-synapse',
    'if [ -d /data ]; then mount -t tmpfs tmpfs /data; fi',
    `exec ${process.execPath} --input-type=module -e "$0"`,
  ].join('\n');
  const out = execFileSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', sh, script], { encoding: 'utf8' });
  return JSON.parse(out) as Array<string[] | null>;
}

test('findConfigPaths: auto-detection in order, isolated from this machine\'s own /etc/matrix-synapse and /data', async () => {
  const cwd = tmp();
  const home = tmp();
  assert.deepEqual(AUTO_DETECT({ cwd, home }), [
    [join(cwd, 'homeserver.yaml')],
    ['/etc/matrix-synapse/homeserver.yaml', '/etc/matrix-synapse/conf.d'],
    ['/data/homeserver.yaml'],
    [join(home, 'synapse', 'homeserver.yaml')],
  ]);
  assert.deepEqual(discoverIsolated(cwd, home), [
    null,
    [join(home, 'synapse', 'homeserver.yaml')],
    ['/etc/matrix-synapse/homeserver.yaml', '/etc/matrix-synapse/conf.d/10-db.yaml'],
    [join(cwd, 'homeserver.yaml')],
  ]);
  assert.equal(existsSync(join(home, 'synapse', 'homeserver.yaml')), true, 'files under the temp dirs are real');
});

test('findConfigPaths: explicit paths win and a missing one is named', async () => {
  const cwd = tmp();
  const home = tmp();
  writeFileSync(join(cwd, 'homeserver.yaml'), 'a: 1\n');
  assert.deepEqual(await findConfigPaths([GENERATED], { cwd, home }), [GENERATED]);
  assert.deepEqual(await findConfigPaths([], { cwd, home }), [join(cwd, 'homeserver.yaml')], 'an empty list is no list');
  await rejects(findConfigPaths([join(cwd, 'nope.yaml')], { cwd, home }), 'CONFIG_NOT_FOUND', /nope\.yaml: no such file/);
});

test('missing and unreadable paths say which and what to do', async () => {
  const dir = tmp();
  const e = await rejects(expandConfigPaths([join(dir, 'homeserver.yaml')]), 'CONFIG_NOT_FOUND', /homeserver\.yaml: no such file/);
  assert.ok(e.hint);
  await rejects(expandConfigPaths([join(GENERATED, 'below-a-file.yaml')]), 'CONFIG_NOT_FOUND');
  symlinkSync(join(dir, 'loop-b'), join(dir, 'loop-a'));
  symlinkSync(join(dir, 'loop-a'), join(dir, 'loop-b'));
  await rejects(expandConfigPaths([join(dir, 'loop-a')]), 'CONFIG_UNREADABLE', /symbolic links/);
  mkdirSync(join(dir, 'homeserver.yaml'));
  const isDir = await rejects(loadConfig([join(dir, 'homeserver.yaml')]), 'CONFIG_UNREADABLE', /EISDIR/);
  assert.match(isDir.hint ?? '', /directory/);
});

test('an unreadable file (mode 000) is CONFIG_UNREADABLE for a non-root admin', () => {
  // root reads anything, so the check runs as the "nobody" user against the built module
  const dir = tmp();
  chmodSync(dir, 0o755);
  const file = join(dir, 'homeserver.yaml');
  writeFileSync(file, 'a: 1\n', { mode: 0o000 });
  const mod = join(import.meta.dirname, '..', 'dist', 'src', 'config', 'discover.js');
  const script = `import(${JSON.stringify(mod)}).then((m) => m.expandConfigPaths([${JSON.stringify(file)}])).then(() => console.log('READ'), (e) => console.log(e.code + ' ' + e.message))`;
  const out = execFileSync('runuser', ['-u', 'nobody', '--', process.execPath, '-e', script], { encoding: 'utf8' });
  assert.match(out, /^CONFIG_UNREADABLE .*permission denied/i);
});

test('YAML errors carry path:line:col', async () => {
  const file = join(tmp(), 'homeserver.yaml');
  writeFileSync(file, "server_name: x\nreport_stats: false\nmacaroon_secret_key: 'unterminated\n");
  const e = await rejects(loadConfig([file]), 'CONFIG_PARSE');
  assert.equal(e.message, `${file}:4:1: Missing closing 'quote`);
  assert.ok(e.hint);
});

test('sqliteDatabasePath resolves like Synapse', () => {
  const with_ = (merged: Record<string, unknown>): LoadedConfig => ({
    files: [], merged, warnings: [], database: merged.database as DatabaseSection | undefined,
  });
  assert.equal(sqliteDatabasePath(with_({ database: { name: 'sqlite3', args: { database: 'hs.db' } } }), '/var/lib/matrix-synapse'), '/var/lib/matrix-synapse/hs.db');
  assert.equal(sqliteDatabasePath(with_({ database: { name: 'sqlite3', args: { database: 'hs.db' } } })), join(process.cwd(), 'hs.db'));
  assert.equal(sqliteDatabasePath(with_({ database: { args: { database: '/d/hs.db' } } })), '/d/hs.db', 'no name means sqlite3');
  assert.equal(sqliteDatabasePath(with_({ database: { name: 'sqlite3', args: { database: ':memory:' } } })), undefined);
  assert.equal(sqliteDatabasePath(with_({ database: { name: 'psycopg2', args: {} } })), undefined);
  assert.equal(sqliteDatabasePath(with_({ database_path: '/old/hs.db', database: { name: 'sqlite3', args: { database: '/x' } } })), '/old/hs.db');
  assert.equal(sqliteDatabasePath(with_({})), undefined);
});

test('renderConfigWithDatabase: one file is edited in place; several become one generated document', async () => {
  const one = await loadConfig([GENERATED]);
  assert.equal(renderConfigWithDatabase(one, section()), setDatabaseSection(generated, section()));
  const dir = tmp();
  writeFileSync(join(dir, 'a.yaml'), '# comment\nserver_name: "x"\nlisteners:\n  - port: 8008\n    resources: [{names: [client]}]\ndatabase:\n  name: sqlite3\n');
  writeFileSync(join(dir, 'b.yaml'), 'report_stats: no\nempty: {}\nsecret: "yes"\n');
  const two = await loadConfig([join(dir, 'a.yaml'), join(dir, 'b.yaml')]);
  assert.equal(renderConfigWithDatabase(two, section()), [
    '# Generated by synapse-pg-wizard for synapse_port_db --postgres-config.',
    '# Synapse settings merged from these files, in this order (later top-level keys replace earlier ones):',
    `#   ${join(dir, 'a.yaml')}`,
    `#   ${join(dir, 'b.yaml')}`,
    '# Comments from those files are not kept here.',
    'server_name: x',
    'listeners:',
    '  - port: 8008',
    '    resources:',
    '      - names:',
    '          - client',
    BLOCK.trimEnd(),
    'report_stats: false',
    'empty: {}',
    'secret: "yes"',
    '',
  ].join('\n'));
});

test('the Debian layout renders to one file Synapse reads back as the merged config', async () => {
  const cfg = await loadConfig(await expandConfigPaths([join(DEBIAN, 'homeserver.yaml'), join(DEBIAN, 'conf.d')]));
  const text = renderConfigWithDatabase(cfg, section('p@ss: #1'));
  // the expected merge is made here, as Synapse's read_config_files does it: each file's top-level keys update the dict in order
  const files = [join(DEBIAN, 'homeserver.yaml'), ...readdirSync(join(DEBIAN, 'conf.d')).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(DEBIAN, 'conf.d', f))];
  const parsed = pyLoad(files.map((f) => readFileSync(f, 'utf8'))) as Array<Record<string, unknown> | null>;
  const merged = Object.assign({}, ...parsed.map((p) => p ?? {})) as Record<string, unknown>;
  assert.ok(files.length === 2 && 'database' in merged && 'report_stats' in merged, `the fixture is a real conf.d layout: ${files.join(' ')}`);
  assert.deepEqual(pyLoad([text])[0], { ...merged, database: section('p@ss: #1') });
});

test('unifiedDiff: exact output for a small edit, and a registered secret is redacted', () => {
  const oldText = 'a\nb\nc\nd\ne\nf\ng\nh\n';
  const newText = 'a\nB\nc\nd\ne\nf\ng\nh\ni';
  assert.equal(unifiedDiff(oldText, newText, 'x.yaml', 1), [
    '--- x.yaml', '+++ x.yaml', '@@ -1,3 +1,3 @@', ' a', '-b', '+B', ' c', '@@ -8 +8,2 @@', ' h', '+i', '\\ No newline at end of file', '',
  ].join('\n'));
  assert.equal(unifiedDiff(oldText, oldText, 'x.yaml'), '');
  registerSecret('s3cr3t-password');
  const d = unifiedDiff('password: old\n', 'password: s3cr3t-password\n', 'homeserver.yaml');
  assert.equal(d, '--- homeserver.yaml\n+++ homeserver.yaml\n@@ -1 +1 @@\n-password: old\n+password: ********\n');
});

test('unifiedDiff matches GNU diff -u hunk for hunk', () => {
  assert.equal(spawnSync('diff', ['--version']).status, 0, 'GNU diff is needed: apt-get install -y diffutils');
  const dir = tmp();
  const cases: Array<[string, string]> = [
    [generated, setDatabaseSection(generated, section())],
    ['', 'a\n'],
    ['a\n', ''],
    ['x\n'.repeat(30) + 'a\n' + 'y\n'.repeat(6) + 'b\n' + 'z\n'.repeat(7) + 'c\n', 'x\n'.repeat(30) + 'A\n' + 'y\n'.repeat(6) + 'B\n' + 'z\n'.repeat(7) + 'C\n'],
    ['a\nb', 'a\nb\n'],
    ['1\n2\n3\n4\n5\n6\n7\n8\n9\n', '1\n3\n4\n5\n5a\n6\n7\n9\n10\n'],
  ];
  for (const [a, b] of cases) {
    writeFileSync(join(dir, 'a'), a);
    writeFileSync(join(dir, 'b'), b);
    const gnu = spawnSync('diff', ['-u', '--label', 'f.yaml', '--label', 'f.yaml', join(dir, 'a'), join(dir, 'b')], { encoding: 'utf8' }).stdout;
    // secrets the config holds (registration_shared_secret...) are registered by loadConfig in earlier tests and redacted in both
    assert.equal(unifiedDiff(a, b, 'f.yaml'), redact(gnu));
  }
});

test("the config's own secrets are redacted from everything the wizard prints once the config is read", async () => {
  const dir = tmp();
  const file = join(dir, 'homeserver.yaml');
  const shared = 'rs-' + Math.random().toString(36).slice(2) + '-secret';
  const macaroon = 'mk-' + Math.random().toString(36).slice(2);
  const smtp = 'sm-' + Math.random().toString(36).slice(2);
  const oidc = 'oc-' + Math.random().toString(36).slice(2);
  writeFileSync(file, `server_name: example.org\nregistration_shared_secret: "${shared}"\nmacaroon_secret_key: ${macaroon}\nsigning_key_path: /data/example.org.signing.key\nemail:\n  smtp_pass: ${smtp}\noidc_providers:\n  - idp_id: x\n    client_secret: ${oidc}\n`);
  const text = `plan: ${shared} ${macaroon} ${smtp} ${oidc} /data/example.org.signing.key`;
  assert.equal(redact(text), text, 'nothing registered before the config is read');
  await loadConfig([file]);
  assert.equal(redact(text), 'plan: ******** ******** ******** ******** /data/example.org.signing.key');
});
