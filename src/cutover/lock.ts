// One cutover at a time per config: a lock file holding the wizard's pid; a lock whose process is gone (SIGKILL) is taken over.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { processAlive as alive } from '../adapters/process.js';
import { WizardError } from '../core/errors.js';

export async function acquireLock(workDir: string): Promise<() => Promise<void>> {
  await fs.mkdir(workDir, { recursive: true, mode: 0o700 });
  const path = join(workDir, 'cutover.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return async () => {
        await fs.rm(path, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number((await fs.readFile(path, 'utf8').catch(() => '')).trim());
      if (pid > 0 && pid !== process.pid && alive(pid)) {
        throw new WizardError('BLOCKED', `Another synapse-pg cutover (pid ${pid}) is running for this config.`, { hint: `Wait for it to finish, or stop it (kill ${pid}) and run cutover again.` });
      }
      await fs.rm(path, { force: true });
    }
  }
  throw new WizardError('BLOCKED', `Could not take the lock ${path}.`, { hint: 'Remove it if no cutover is running.' });
}
