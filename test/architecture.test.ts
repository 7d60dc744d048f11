// The layers stay as designed: a UI-free core, flags turned into options at the top only, one runner, one exit, one exit-code mapping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const rel = (f: string) => relative(ROOT, f);

/** Every import of a file (static and dynamic), relative ones resolved to a path under ROOT. */
function imports(file: string): { spec: string; target?: string }[] {
  return [...readFileSync(file, 'utf8').matchAll(/(?:from\s+|import\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => {
    const spec = m[1]!;
    return { spec, target: spec.startsWith('.') ? rel(resolve(dirname(file), spec)).replace(/\.js$/, '.ts') : undefined };
  });
}

const SRC = () => tsFiles(join(ROOT, 'src'));
const SCREENS = () => tsFiles(join(ROOT, 'screens'));

test('src/ never imports a UI library or screens/', () => {
  const files = SRC();
  assert.ok(files.length > 20, 'found the core files');
  const offenders: string[] = [];
  for (const f of files) {
    for (const { spec } of imports(f)) {
      if (/^(blessed|@clack\/)/.test(spec) || /(^|\/)screens\//.test(spec)) offenders.push(`${rel(f)} imports ${spec}`);
    }
  }
  assert.deepEqual(offenders, []);
});

test('nothing below src/commands/ imports src/commands/, and flags (src/cli/) are read only there', () => {
  const offenders: string[] = [];
  for (const f of SRC()) {
    const from = rel(f);
    for (const { spec, target } of imports(f)) {
      if (target?.startsWith('src/commands/') && !from.startsWith('src/commands/')) offenders.push(`${from} imports ${spec}`);
      if (target?.startsWith('src/cli/') && !from.startsWith('src/commands/') && !from.startsWith('src/cli/')) offenders.push(`${from} imports ${spec}`);
    }
  }
  assert.deepEqual(offenders, []);
});

/** Cutover steps that still call node:fs directly, left to the port engine rewrite; the list may only shrink. */
const FS_IN_STEPS_LEFT: string[] = [];

test('steps reach files and processes through the adapters: no node:fs or node:child_process under src/**/steps/', () => {
  const offenders = SRC()
    .filter((f) => /\/steps\//.test(f))
    .filter((f) => imports(f).some(({ spec }) => /^(node:)?(fs|fs\/promises|child_process)$/.test(spec)))
    .map(rel)
    .sort();
  assert.deepEqual(offenders.filter((f) => !FS_IN_STEPS_LEFT.includes(f)), [], 'a step imports node:fs or node:child_process');
  assert.deepEqual(FS_IN_STEPS_LEFT.filter((f) => !offenders.includes(f)), [], 'this step no longer needs its exception: take it off FS_IN_STEPS_LEFT');
});

test('one runner: only src/core/runner.ts and src/core/preflight.ts announce flows and steps', () => {
  const announcers = [...SRC(), ...SCREENS()]
    .filter((f) => /event: '(flow|step-start|check|step-apply|step)'/.test(readFileSync(f, 'utf8')))
    .map(rel)
    .sort();
  assert.deepEqual(announcers, ['src/core/events.ts', 'src/core/preflight.ts', 'src/core/runner.ts']);
});

test('only screens/main.ts exits the process', () => {
  const exits = [...SRC(), ...SCREENS()].filter((f) => /process\.exit\(/.test(readFileSync(f, 'utf8'))).map(rel);
  assert.deepEqual(exits, ['screens/main.ts']);
});

test('exit codes are chosen in one module, src/core/exit-code.ts', () => {
  const offenders: string[] = [];
  for (const f of [...SRC(), ...SCREENS()]) {
    if (rel(f) === 'src/core/exit-code.ts') continue;
    const lines = readFileSync(f, 'utf8').split('\n');
    lines.forEach((line, i) => {
      const where = `${rel(f)}:${i + 1}`;
      // 130 is the interrupted status; the help text may name it
      if (/\b130\b/.test(line) && !/Exit status:/.test(line)) offenders.push(`${where}: ${line.trim()}`);
      // an exit status computed in place in the entry point, the app or a command
      if (/^(screens|src\/commands)\//.test(rel(f)) && /return\s+[012]\s*;|\bok\)?\s*\?\s*[012]\s*:/.test(line)) offenders.push(`${where}: ${line.trim()}`);
    });
  }
  assert.deepEqual(offenders, []);
});

/** Plain Errors left in src/cutover/ for the port engine rewrite; the list may only shrink. */
const PLAIN_ERRORS_LEFT: string[] = [];

test('faults the admin can see are WizardErrors (code, hint, cause), not plain Errors', () => {
  const plain = SRC().filter((f) => /throw new Error\(/.test(readFileSync(f, 'utf8'))).map(rel).sort();
  assert.deepEqual(plain.filter((f) => !PLAIN_ERRORS_LEFT.includes(f)), []);
  assert.deepEqual(PLAIN_ERRORS_LEFT.filter((f) => !plain.includes(f)), [], 'no plain Error left here: take it off PLAIN_ERRORS_LEFT');
});
