// Help as a contract: `synapse-pg --help` and each `synapse-pg COMMAND --help` compared exactly with the committed texts in
// test/fixtures/help/, every flag documented, every example parses, and bad flags answered in the wizard's own words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS, OPTIONS, parseCommandLine } from '../src/cli/args.js';
import { runCli } from './helpers/cli.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'help');
const expected = (name: string) => readFileSync(join(FIXTURES, `${name}.txt`), 'utf8');

test('synapse-pg --help is exactly the committed text, and names --state-dir, -V and per-command help', async () => {
  const r = await runCli(['--help']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, expected('global'));
  assert.match(r.stdout, /--state-dir DIR/);
  assert.match(r.stdout, /-V, --version/);
  assert.match(r.stdout, /synapse-pg COMMAND --help/);
});

for (const command of COMMANDS) {
  test(`synapse-pg ${command} --help is its own exactly committed text, with an example that parses`, async () => {
    const r = await runCli([command, '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, expected(command));
    assert.notEqual(r.stdout, expected('global'));
    const example = /^Example:\n {2}(.+)$/m.exec(r.stdout)?.[1];
    assert.ok(example, 'an example');
    for (const line of example.split(' && ')) {
      const words = line.split(' ').slice(1).map((w) => w.replace(/^'|'$/g, ''));
      assert.equal(parseCommandLine(words).command, command === 'sandbox' && words[0] === 'cutover' ? 'cutover' : command, line);
    }
    for (const line of r.stdout.split('\n')) assert.ok(line.length <= 110, `short enough for a terminal: ${line}`);
  });
}

test('every flag is documented in the global help or a command help', async () => {
  const all = [expected('global'), ...COMMANDS.map(expected)].join('\n');
  for (const name of Object.keys(OPTIONS)) assert.match(all, new RegExp(`--${name}\\b`), `--${name}`);
});

test('bad flags are answered in the wizard words, pointing at the command help, with exit status 2', async () => {
  const cases: [string[], string][] = [
    [['setup', '--bogus'], "synapse-pg: There is no flag --bogus.\nWhat to do: Run synapse-pg setup --help for setup's flags.\n"],
    [['cutover', '-c'], "synapse-pg: --config needs a value.\nWhat to do: Run synapse-pg cutover --help for cutover's flags.\n"],
    [['doctor', '--yes=now'], "synapse-pg: --yes takes no value.\nWhat to do: Run synapse-pg doctor --help for doctor's flags.\n"],
    [['--frobnicate'], 'synapse-pg: There is no flag --frobnicate.\nWhat to do: Run synapse-pg --help for the flags.\n'],
  ];
  for (const [argv, stderr] of cases) {
    const r = await runCli(argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.equal(r.stderr, stderr);
    assert.equal(r.stdout, '');
  }
});
