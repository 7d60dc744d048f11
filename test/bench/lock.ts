// One bench at a time: every run restores the homeserver into the same chroot directory, so a second run waits for none and stops.
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Takes cacheDir/bench.lock (a stale one, whose pid is gone, is taken over); returns its release. */
export async function benchLock(cacheDir: string): Promise<() => Promise<void>> {
  await mkdir(cacheDir, { recursive: true });
  const path = join(cacheDir, 'bench.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const f = await open(path, 'wx');
      await f.writeFile(`${process.pid}\n`);
      await f.close();
      return () => rm(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (pid > 0 && alive(pid)) throw new Error(`another bench (pid ${pid}) is running; wait for it, or remove ${path} if that pid is not a bench`, { cause: e });
      await rm(path, { force: true });
    }
  }
  throw new Error(`cannot take ${path}`);
}
