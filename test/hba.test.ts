// pg_hba.conf parsing, first-match decisions and insertion plans: exact texts, then cross-checked against a real PostgreSQL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { firstMatch, parseHba, planHbaInsert, type HbaConnection, type HbaInsertRequest } from '../src/pg/hba.js';
import { formatIp, parseCidr, parseIp } from '../src/pg/cidr.js';
import { quoteLiteral } from '../src/pg/identifiers.js';
import { HBA_DEBIAN, HBA_RHEL_IDENT, startCluster, type Cluster } from './helpers/cluster.js';

const COMMENT = '# Added by synapse-pg-wizard on 2026-11-22: Synapse connects over TCP with a password';
const REQ: HbaInsertRequest = {
  database: 'synapse',
  user: 'synapse_user',
  addresses: ['127.0.0.1/32', '::1/128'],
  method: 'scram-sha-256',
  ssl: false,
  roles: [],
  comment: COMMENT,
};
const V4 = 'host    synapse         synapse_user    127.0.0.1/32            scram-sha-256';
const V6 = 'host    synapse         synapse_user    ::1/128                 scram-sha-256';
const TCP: HbaConnection = { type: 'host', ssl: false, database: 'synapse', user: 'synapse_user', address: '127.0.0.1', roles: [] };

/** Plans, checks that a second plan on the result needs nothing, and returns the plan. */
function plan(text: string, req: Partial<HbaInsertRequest> = {}) {
  const full = { ...REQ, ...req };
  const p = planHbaInsert(text, full);
  const again = planHbaInsert(p.text, full);
  assert.equal(again.needed, false, `a second plan must need nothing:\n${p.text}`);
  assert.equal(again.text, p.text);
  return p;
}
const lineOf = (text: string, conn: Partial<HbaConnection> = {}) => {
  const d = firstMatch(parseHba(text), { ...TCP, ...conn });
  return d.kind === 'none' ? 'none' : `${d.rule.lineNumber}${d.certain ? '' : '?'}`;
};

test("Debian's default file already accepts a password over TCP: nothing to do", () => {
  const p = plan(HBA_DEBIAN);
  assert.equal(p.needed, false);
  assert.equal(p.text, HBA_DEBIAN);
  assert.deepEqual(p.inserted, []);
  assert.match(p.perAddress[0]!.reason, /^line 10 \("host all all 127\.0\.0\.1\/32 scram-sha-256"\) already accepts it with a password/);
  assert.match(p.perAddress[1]!.reason, /^line 12 /);
});

test('RHEL-style ident lines: a password line goes right before each of them', () => {
  const p = plan(HBA_RHEL_IDENT);
  const expected = HBA_RHEL_IDENT.replace(
    '# IPv4 local connections:\n',
    `# IPv4 local connections:\n${COMMENT}\n${V4}\n`,
  ).replace('# IPv6 local connections:\n', `# IPv6 local connections:\n${COMMENT}\n${V6}\n`);
  assert.equal(p.text, expected);
  assert.deepEqual(p.inserted, [
    { beforeLineNumber: 7, lines: [COMMENT, V4] },
    { beforeLineNumber: 9, lines: [COMMENT, V6] },
  ]);
  assert.match(p.perAddress[0]!.reason, /line 7 .*matches first and uses ident, not a password/);
});

test('CRLF files keep CRLF and every other byte', () => {
  const crlf = HBA_RHEL_IDENT.replace(/\n/g, '\r\n');
  const p = plan(crlf);
  assert.equal(p.text, plan(HBA_RHEL_IDENT).text.replace(/\n/g, '\r\n'));
});

test('hostssl lines count only when the connection uses SSL, hostnossl only when it does not', () => {
  const text = 'hostssl all all 127.0.0.1/32 scram-sha-256\nhostnossl all all 127.0.0.1/32 ident\nhost all all 127.0.0.1/32 md5\n';
  assert.equal(lineOf(text, { ssl: true }), '1');
  assert.equal(lineOf(text, { ssl: false }), '2');
  assert.equal(plan(text, { ssl: true, addresses: ['127.0.0.1/32'] }).needed, false);
  const p = plan(text, { ssl: false, addresses: ['127.0.0.1/32'] });
  // aligned with the line it goes before
  assert.equal(p.text, `hostssl all all 127.0.0.1/32 scram-sha-256\n${COMMENT}\nhost      synapse synapse_user 127.0.0.1/32 scram-sha-256\nhostnossl all all 127.0.0.1/32 ident\nhost all all 127.0.0.1/32 md5\n`);
  assert.equal(lineOf('hostgssenc all all 0.0.0.0/0 ident\nhostnogssenc all all 0.0.0.0/0 md5\nlocal all all trust\n'), '2');
});

test('+group matches members (and the role itself); unknown membership only might match', () => {
  const text = 'host all +synapse_group 127.0.0.1/32 ident\nhost all "+synapse_group" 127.0.0.1/32 reject\nhost all all 127.0.0.1/32 md5\n';
  assert.equal(lineOf(text, { roles: ['synapse_group'] }), '1');
  assert.equal(lineOf(text, { roles: [] }), '3');
  assert.equal(lineOf(text, { roles: undefined }), '1?');
  assert.equal(lineOf(text, { user: 'synapse_group', roles: [] }), '1');
  assert.equal(lineOf(text, { user: '+synapse_group', roles: [] }), '2', 'a quoted +name is a literal role name');
  const p = plan(text, { roles: undefined, addresses: ['127.0.0.1/32'] });
  assert.deepEqual(p.inserted, [{ beforeLineNumber: 1, lines: [COMMENT, 'host synapse synapse_user 127.0.0.1/32 scram-sha-256'] }]);
  assert.match(p.perAddress[0]!.reason, /might match first \(whether "synapse_user" is a member of role "synapse_group" is not known\)/);
});

test('samerole, sameuser, replication and a quoted "all" as databases', () => {
  const samerole = 'host samerole all 127.0.0.1/32 ident\n';
  assert.equal(lineOf(samerole, { roles: ['synapse'] }), '1');
  assert.equal(lineOf(samerole, { roles: [] }), 'none');
  assert.equal(lineOf(samerole, { database: 'synapse_user' }), '1', 'the user is a member of itself');
  assert.equal(lineOf('host sameuser all 127.0.0.1/32 ident\n'), 'none');
  assert.equal(lineOf('host sameuser all 127.0.0.1/32 ident\n', { database: 'synapse_user' }), '1');
  assert.equal(lineOf('host "sameuser" all 127.0.0.1/32 ident\n', { database: 'synapse_user' }), 'none');
  assert.equal(lineOf('host replication all 0.0.0.0/0 trust\n'), 'none');
  const quotedAll = 'host "all" all 127.0.0.1/32 ident\nhost synapse,other all 127.0.0.1/32 md5\n';
  assert.equal(lineOf(quotedAll), '2');
  assert.equal(lineOf(quotedAll, { database: 'all' }), '1');
  const p = plan('local all all peer\n', { database: 'all', user: 'my user', addresses: ['127.0.0.1/32'] });
  assert.equal(p.text, `local all all peer\n${COMMENT}\nhost    "all"           "my user"       127.0.0.1/32            scram-sha-256\n`);
});

test('a bare IP with a separate netmask column; IPv4 ranges never match IPv6 clients', () => {
  const text = 'host all all 127.0.0.0 255.0.0.0 ident\nhost all all 0.0.0.0/0 md5\n';
  const [rule] = parseHba(text).rules;
  assert.equal(rule!.address, '127.0.0.0');
  assert.equal(rule!.mask, '255.0.0.0');
  assert.equal(lineOf(text), '1');
  assert.equal(lineOf(text, { address: '10.0.0.1' }), '2');
  assert.equal(lineOf(text, { address: '::1' }), 'none');
  assert.equal(lineOf('host all all ::ffff:127.0.0.1/128 trust\n'), 'none');
  const p = plan(text);
  const ours = (cidr: string) => `${COMMENT}\nhost synapse synapse_user ${cidr} scram-sha-256\n`; // spaced like the one-line CIDR rule
  assert.equal(p.text, `${ours('127.0.0.1/32')}host all all 127.0.0.0 255.0.0.0 ident\nhost all all 0.0.0.0/0 md5\n${ours('::1/128')}`);
});

test('backslash continuations: line numbers span the record, insertion goes before its first line', () => {
  const text = '# head\nhost all all \\\n     127.0.0.1/32 \\\n     ident\nhost all all ::1/128 md5 # no more\n';
  const { rules } = parseHba(text);
  assert.deepEqual(rules.map((r) => [r.lineNumber, r.endLineNumber, r.address, r.method]), [
    [2, 4, '127.0.0.1/32', 'ident'],
    [5, 5, '::1/128', 'md5'],
  ]);
  const p = plan(text);
  assert.equal(p.text, `# head\n${COMMENT}\nhost synapse synapse_user 127.0.0.1/32 scram-sha-256\n${text.slice('# head\n'.length)}`);
  // A comment ending in a backslash swallows the next line, as PostgreSQL reads it.
  assert.deepEqual(parseHba('# note \\\nhost all all 0.0.0.0/0 trust\n').rules, []);
  // Two backslashes: the first continues, the second is text; an empty line then ends the record.
  assert.equal(parseHba('host all all 0.0.0.0/0 trust a=\\\\\n\nlocal all all peer\n').rules.at(-1)!.lineNumber, 3);
});

test('a file without a trailing newline stays that way; lines that match nothing are appended', () => {
  const p = plan('local all all peer');
  assert.equal(p.text, `local all all peer\n${COMMENT}\n${V4}\n${V6}`);
  assert.deepEqual(p.inserted, [{ beforeLineNumber: null, lines: [COMMENT, V4, V6] }]);
  assert.match(p.perAddress[0]!.reason, /no line matches TCP connections from 127\.0\.0\.1\/32/);
  assert.equal(plan('').text, `${COMMENT}\n${V4}\n${V6}\n`);
  assert.equal(plan('local all all peer \\').text, `local all all peer \\\n\n${COMMENT}\n${V4}\n${V6}`);
});

test('trust and password lines need nothing; reject and peer-like methods get a line before them', () => {
  assert.equal(plan('host synapse synapse_user 127.0.0.1/32 trust\nhost all all ::1/128 password\n').needed, false);
  const p = plan('host all all all reject\n');
  const ours = ['host synapse synapse_user 127.0.0.1/32 scram-sha-256', 'host synapse synapse_user ::1/128 scram-sha-256'];
  assert.equal(p.text, `${COMMENT}\n${ours.join('\n')}\nhost all all all reject\n`);
  assert.deepEqual(p.inserted, [{ beforeLineNumber: 1, lines: [COMMENT, ...ours] }]);
});

test('addresses: all, samehost, samenet, localhost and other host names', () => {
  assert.equal(lineOf('host all all samehost ident\n'), '1');
  assert.equal(lineOf('host all all samenet ident\n', { address: '::1' }), '1');
  assert.equal(lineOf('host all all samenet ident\n', { address: '192.0.2.7' }), '1?');
  assert.equal(lineOf('host all all localhost ident\n'), '1');
  assert.equal(lineOf('host all all localhost ident\n', { address: '::1' }), '1?', '::1 resolves to localhost only where /etc/hosts says so');
  assert.equal(lineOf('host all all db.example.org ident\n'), '1?');
  assert.equal(lineOf('host all all "samehost" ident\n'), '1?', 'a quoted keyword is a host name');
  assert.equal(lineOf('host all all 127.0.0.0/8 ident\n', { address: '127.0.0.0/16' }), '1');
  assert.equal(lineOf('host all all 127.0.0.1/32 ident\n', { address: '127.0.0.0/8' }), '1?');
});

test('lines that cannot be decided here (include, @file, regex) might match', () => {
  assert.equal(lineOf('include_dir conf.d\nhost all all 0.0.0.0/0 md5\n'), '1?');
  assert.equal(lineOf('host @dbs all 0.0.0.0/0 ident\n'), '1?');
  assert.equal(lineOf('host "@dbs" all 0.0.0.0/0 ident\n'), 'none');
  assert.equal(lineOf('host all /^syn 0.0.0.0/0 ident\n'), '1?');
  assert.equal(lineOf('host all /^postgres$ 0.0.0.0/0 ident\n'), 'none');
  const p = plan('include_if_exists extra.conf\n');
  assert.deepEqual(p.inserted.map((i) => i.beforeLineNumber), [1]);
  assert.match(p.perAddress[0]!.reason, /might match first \("include_if_exists extra\.conf" pulls in lines/);
});

test('the tokenizer follows PostgreSQL: quotes, doubled quotes, comma lists with blanks, comments', () => {
  const { rules } = parseHba('host "a b",c, "d""e"  al"l" 127.0.0.1/32 md5 # x\nlocal "all",x#comment\n\tall\tpeer\n');
  assert.deepEqual(rules[0]!.databases, [
    { value: 'a b', quoted: true },
    { value: 'c', quoted: false },
    { value: 'd"e', quoted: true },
  ]);
  assert.deepEqual(rules[0]!.users, [{ value: 'all', quoted: false }], 'a token is quoted only when it starts with a quote');
  assert.deepEqual(parseHba('local "all",x#comment\n').errors, [{ lineNumber: 1, message: 'end-of-line before role specification' }]);
});

test('parse errors are collected, never thrown', () => {
  const text = 'hosts all all 127.0.0.1/32 md5\nhost all all 127.0.0.1/33 md5\nhost all all 127.0.0.1 md5\nhost all all 127.0.0.1/32 magic\nhost all\nhost all all 127.0.0.1/32 md5 map\n';
  assert.deepEqual(parseHba(text).errors.map((e) => e.lineNumber), [1, 2, 3, 4, 5, 6]);
  for (let i = 0; i < 300; i++) {
    const junk = Array.from(randomBytes(40), (b) => 'host all"#,\\ \t\r\n/+@1.:'[b % 25]).join('');
    parseHba(junk);
    planHbaInsert(junk, REQ);
  }
});

/** Writes an hba text into the cluster and reads PostgreSQL's own parse of it. */
function pgRules(cluster: Cluster, text: string): Array<Record<string, unknown>> {
  writeFileSync(cluster.hbaFile, text);
  const sql = `SELECT coalesce(json_agg(r ORDER BY line_number), '[]') FROM (SELECT line_number, type, database, user_name, address, netmask, auth_method, error FROM pg_hba_file_rules) r`;
  return JSON.parse(cluster.psql(sql)) as Array<Record<string, unknown>>;
}

test('the parser agrees with PostgreSQL (pg_hba_file_rules)', async () => {
  const texts = [
    HBA_DEBIAN,
    HBA_RHEL_IDENT.replace(/\n/g, '\r\n'),
    [
      '# tricky',
      'host    "all",synapse,"with space"   +grp,"+lit",alice    10.0.0.0/8      md5',
      'hostnossl  sameuser  all  192.168.1.5  255.255.255.0  scram-sha-256',
      'host all all samehost trust',
      'host   samerole,samegroup all   samenet   reject',
      'host "all" "all" localhost password',
      'host all all \\',
      '    fe80::/10 \\',
      '    md5',
      '# a comment that ends in a backslash \\',
      'host all all 0.0.0.0/0 trust',
      'hostnogssenc all all ::0/0 md5 # trailing',
      'host all all 127.0.0.1/32 ident map=omicron',
      '\tlocal\treplication\tall\t\tpeer',
      'hosts all all 127.0.0.1/32 md5',
      'host all all 127.0.0.1/33 md5',
      'host all all 300.0.0.1/32 md5',
      'host all all 127.0.0.1 md5',
      'host all all 127.0.0.1/32 magic',
      'host all',
      'host all all ::1 255.255.255.255 md5',
      'host all all 127.0.0.1/32 md5 nomap',
      'host all,"x"",y" /^syn 127.0.0.1/32 trust',
      'hostssl all all 0.0.0.0/0 cert clientcert=verify-full',
    ].join('\n'),
  ];
  const cluster = await startCluster();
  try {
    for (const text of texts) {
      const ours = parseHba(text);
      // With ssl=off PostgreSQL flags hostssl rows in this view, yet still loads the file: not a parse error.
      const theirs = pgRules(cluster, text).map((r) => (r.error === 'hostssl record cannot match because SSL is disabled' ? { ...r, error: null } : r));
      assert.deepEqual(
        theirs.filter((r) => r.error !== null).map((r) => r.line_number),
        ours.errors.map((e) => e.lineNumber),
        `error lines for:\n${text}`,
      );
      const valid = theirs.filter((r) => r.error === null);
      assert.equal(valid.length, ours.rules.length);
      ours.rules.forEach((rule, i) => {
        const row = valid[i]!;
        const kind = rule.addressKind;
        const ip = kind === 'ip' ? parseIp(rule.address!.split('/')[0]!) : null;
        const range = kind === 'ip' && rule.mask === undefined ? parseCidr(rule.address!) : null;
        assert.deepEqual(
          {
            line_number: rule.lineNumber,
            type: rule.type,
            database: rule.databases.map((t) => t.value),
            user_name: rule.users.map((t) => t.value),
            address: ip ? formatIp(ip.family, ip.bytes) : (rule.address ?? null),
            netmask: range ? formatIp(range.family, range.mask) : (rule.mask ?? null),
            auth_method: rule.method,
          },
          {
            line_number: row.line_number,
            type: row.type,
            database: row.database,
            user_name: row.user_name,
            address: row.address,
            netmask: row.netmask,
            auth_method: row.auth_method,
          },
        );
      });
    }
  } finally {
    cluster.stop();
  }
});

async function tryConnect(host: string, port: number, password: string): Promise<string> {
  const client = new pg.Client({ host, port, user: 'synapse_user', password, database: 'synapse', connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    const r = await client.query('SELECT current_user AS u');
    return `ok ${r.rows[0].u}`;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

test('end to end: the planned lines let a password login through an ident catch-all', async () => {
  const cluster = await startCluster({ hba: HBA_RHEL_IDENT });
  try {
    const password = randomBytes(18).toString('base64url');
    cluster.psql(`CREATE ROLE synapse_user LOGIN PASSWORD ${quoteLiteral(password)};\nCREATE DATABASE synapse OWNER synapse_user;`);
    assert.match(await tryConnect('127.0.0.1', cluster.port, password), /Ident authentication failed for user "synapse_user"/);
    assert.match(await tryConnect('::1', cluster.port, password), /Ident authentication failed for user "synapse_user"/);

    const p = planHbaInsert(HBA_RHEL_IDENT, REQ);
    writeFileSync(cluster.hbaFile, p.text);
    assert.equal(cluster.psql('SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL'), '0');
    assert.equal(cluster.psql('SELECT pg_reload_conf()'), 't');
    let result = '';
    for (let i = 0; i < 50 && !result.startsWith('ok'); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 100)); // the postmaster rereads the file asynchronously after SIGHUP
      result = await tryConnect('127.0.0.1', cluster.port, password);
    }
    assert.equal(result, 'ok synapse_user');
    assert.equal(await tryConnect('::1', cluster.port, password), 'ok synapse_user');
    assert.match(await tryConnect('127.0.0.1', cluster.port, 'wrong'), /password authentication failed for user "synapse_user"/);
  } finally {
    cluster.stop();
  }
});
