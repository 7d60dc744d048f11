// Everything the bench starts registers how to stop it here, so a failure or Ctrl-C still stops every Synapse and PostgreSQL.
type Cleanup = { what: string; run: () => Promise<void> | void };

const stack: Cleanup[] = [];

export interface CleanupHandle {
  /** Runs the cleanup now (once) and unregisters it. */
  run(): Promise<void>;
  /** Unregisters it without running it (the thing ended by itself). */
  drop(): void;
}

export function onCleanup(what: string, run: () => Promise<void> | void): CleanupHandle {
  const c: Cleanup = { what, run };
  stack.push(c);
  const take = () => {
    const i = stack.indexOf(c);
    if (i >= 0) stack.splice(i, 1);
    return i >= 0;
  };
  return {
    async run() {
      if (take()) await c.run();
    },
    drop: () => void take(),
  };
}

/** Runs every registered cleanup, newest first; a failing one is reported and the others still run. */
export async function cleanupAll(log: (m: string) => void): Promise<void> {
  while (stack.length) {
    const c = stack.pop()!;
    try {
      await c.run();
    } catch (e) {
      log(`cleanup "${c.what}" failed: ${(e as Error).message}`);
    }
  }
}

let handling = false;

/** True once SIGINT/SIGTERM arrived: nothing new may start (its cleanup could come after the one that already ran). */
export function interrupted(): boolean {
  return handling;
}

/** Throws when interrupted; called before starting anything that needs stopping. */
export function checkInterrupted(): void {
  if (handling) throw new Error('interrupted');
}
/**
 * On SIGINT/SIGTERM: clean up now, and let the run unwind (what it was starting fails, and its own cleanups run in main's
 * finally); exit 130/143, at the latest two minutes later.
 */
export function cleanupOnSignals(log: (m: string) => void): void {
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.on(sig, () => {
      if (handling) return;
      handling = true;
      process.exitCode = code;
      log(`${sig}: stopping everything the bench started`);
      void cleanupAll(log).finally(() => setTimeout(() => process.exit(code), 120_000).unref());
    });
  }
}
