// Everything the bench starts registers how to stop it here, so a failure or Ctrl-C still stops every Synapse and PostgreSQL.
type Cleanup = { what: string; run: () => Promise<void> | void };

const stack: Cleanup[] = [];

/** Registers a cleanup; returns a function that runs it now (once) and unregisters it. */
export function onCleanup(what: string, run: () => Promise<void> | void): () => Promise<void> {
  const c: Cleanup = { what, run };
  stack.push(c);
  return async () => {
    const i = stack.indexOf(c);
    if (i < 0) return;
    stack.splice(i, 1);
    await c.run();
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
/** On SIGINT/SIGTERM: clean up, then exit 130/143. */
export function cleanupOnSignals(log: (m: string) => void): void {
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.on(sig, () => {
      if (handling) return;
      handling = true;
      log(`${sig}: stopping everything the bench started`);
      void cleanupAll(log).finally(() => process.exit(code));
    });
  }
}
