// A copy engine run in its own process, for tests that kill it with SIGKILL in the middle of a table: when `pauseAt` reports
// progress short of its total, it prints MID and blocks (its COPY and transaction stay open) until it is killed.
// argv: EXEC_CHROOT SQLITE POSTGRES_CONFIG PG_JSON DIGESTS_FILE PAUSE_AT_TABLE
import { readFileSync, writeFileSync, writeSync } from 'node:fs';
import { createExecutor } from '../../src/adapters/exec.js';
import { runDriver } from '../../src/cutover/copy/driver.js';
import { runCopyEngine } from '../../src/cutover/copy/engine.js';

const [chroot, sqlite, cfg, pgJson, digestsFile, pauseAt] = process.argv.slice(2) as [string, string, string, string, string, string];
const exec = createExecutor({ kind: 'chroot', dir: chroot });
const digests = JSON.parse(readFileSync(digestsFile, 'utf8')) as Record<string, string>;
const d = await runDriver({ exec, python: 'python3', mode: 'prepare', sqlite, postgresConfig: cfg, logFile: `${digestsFile}.log` });
await runCopyEngine({
  sqlite,
  pg: JSON.parse(pgJson),
  rules: d.rules,
  tables: d.tables,
  digests,
  chunkRows: 25,
  // One table at a time, largest first: the kill lands in the named table before any other has started.
  concurrency: 1,
  onCommitted: async () => writeFileSync(digestsFile, JSON.stringify(digests)),
  onProgress: (label, done, total) => {
    if (label === pauseAt && done > 0 && done < total) {
      writeSync(1, `MID ${label} ${done}/${total}\n`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120_000);
    }
  },
});
process.stdout.write('DONE\n');
