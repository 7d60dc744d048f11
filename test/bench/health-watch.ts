// An outside observer of /health (every 100 ms), so both procedures' downtime ends at the same, independent moment.
import { health } from '../../src/synapse/client.js';

export interface HealthWatch {
  /** First moment /health answered OK again after it had stopped answering, at or after `since` (epoch ms). */
  backAfter(since: number): number | undefined;
  stop(): Promise<void>;
}

export function watchHealth(baseUrl: string, everyMs = 100): HealthWatch {
  const samples: [number, boolean][] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t = Date.now();
      const ok = await health(baseUrl, { timeoutMs: 1000 });
      samples.push([t, ok]);
      await new Promise((r) => setTimeout(r, Math.max(0, everyMs - (Date.now() - t))));
    }
  })();
  return {
    backAfter(since) {
      const i = samples.findIndex(([t, ok]) => t >= since && !ok);
      if (i < 0) return undefined;
      return samples.slice(i).find(([, ok]) => ok)?.[0];
    },
    async stop() {
      running = false;
      await loop;
    },
  };
}
