// The core stays UI-free: nothing under src/ imports blessed, @clack/prompts or screens/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('src/ never imports a UI library or screens/', () => {
  const files = tsFiles(join(ROOT, 'src'));
  assert.ok(files.length > 20, 'found the core files');
  const offenders: string[] = [];
  for (const f of files) {
    for (const m of readFileSync(f, 'utf8').matchAll(/(?:from\s+|import\s*\(\s*)['"]([^'"]+)['"]/g)) {
      const spec = m[1]!;
      if (/^(blessed|@clack\/)/.test(spec) || /(^|\/)screens\//.test(spec)) offenders.push(`${relative(ROOT, f)} imports ${spec}`);
    }
  }
  assert.deepEqual(offenders, []);
});

test('only screens/main.ts exits the process', () => {
  const files = [...tsFiles(join(ROOT, 'src')), ...tsFiles(join(ROOT, 'screens'))];
  const exits = files.filter((f) => /process\.exit\(/.test(readFileSync(f, 'utf8'))).map((f) => relative(ROOT, f));
  assert.deepEqual(exits, ['screens/main.ts']);
});
