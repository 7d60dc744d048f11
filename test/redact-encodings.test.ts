// The redactor hides a password in every form the wizard may print it in, at any length, without starring ordinary text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { redact, registerSecret } from '../src/core/redact.js';

test('a password holding \' " \\ $ and a tab is redacted raw, YAML-quoted (both styles), JSON-escaped and URL-encoded', () => {
  const pw = `q'w"e\\r$t\ty`;
  registerSecret(pw);
  const forms = {
    raw: `password: ${pw}`,
    yamlDouble: stringify({ password: pw }, { defaultStringType: 'QUOTE_DOUBLE' }),
    yamlSingle: `password: '${pw.replace(/'/g, "''")}'`,
    yamlLib: stringify({ args: { password: pw } }),
    json: JSON.stringify({ password: pw, note: `x${pw}x` }),
    url: `postgresql://synapse:${encodeURIComponent(pw)}@db/synapse`,
    sql: `ALTER ROLE x PASSWORD '${pw.replace(/'/g, "''")}'`,
  };
  for (const [k, text] of Object.entries(forms)) {
    const out = redact(text);
    for (const piece of [pw, JSON.stringify(pw).slice(1, -1), encodeURIComponent(pw), pw.replace(/'/g, "''"), `q'w`, `r$t`]) assert.ok(!out.includes(piece), `${k}: ${out}`);
    assert.match(out, /\*{8}/, k);
  }
});

test('a 1-3 character password is redacted where a password stands, and ordinary text keeps its letters', () => {
  for (const pw of ['z', 'Q7', `"'\\`]) {
    registerSecret(pw);
    const y = redact(`    password: ${pw}\n    user: synapse`);
    assert.equal(y, '    password: ********\n    user: synapse');
    assert.equal(redact(JSON.stringify({ args: { password: pw } })), '{"args":{"password":"********"}}');
    assert.equal(redact(`postgresql://synapse:${encodeURIComponent(pw)}@127.0.0.1/synapse`), 'postgresql://synapse:********@127.0.0.1/synapse');
    assert.equal(redact(`password=${pw} host=x`), 'password=******** host=x');
  }
  assert.equal(redact('Synapse is zipping along; Q7 is a model name'), 'Synapse is zipping along; Q7 is a model name', 'no stars outside password positions');
});
