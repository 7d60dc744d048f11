// Reads a room as a client like Element does, with matrix-js-sdk (37.1.0, the last release for Node 20): an initial /sync into the
// live timeline, then back-pagination of that timeline until the room's start. Message ids come back oldest first, in timeline order.
import { ClientEvent, createClient, SyncState } from 'matrix-js-sdk';
import { logger as sdkLogger, type Logger } from 'matrix-js-sdk/lib/logger.js';
import type { MatrixSession } from '../../src/synapse/client.js';

const quiet: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, getChild: () => quiet };
// the sync loop logs through the SDK's global loglevel logger, whatever logger the client is given
(sdkLogger as unknown as { setLevel(level: string, persist: boolean): void }).setLevel('silent', false);

export async function readRoomWithSdk(s: MatrixSession, roomId: string, timeoutMs = 60_000): Promise<string[]> {
  // The SDK arms a request timeout (up to 110 s for /sync) that it never clears: unref'd, it cannot keep the test process alive
  const realSetTimeout = globalThis.setTimeout;
  globalThis.setTimeout = ((fn: () => void, ms?: number, ...args: unknown[]) => {
    const t = realSetTimeout(fn, ms, ...args);
    if ((ms ?? 0) > 10_000) (t as unknown as NodeJS.Timeout).unref();
    return t;
  }) as typeof setTimeout;
  const client = createClient({ baseUrl: s.baseUrl, accessToken: s.accessToken, userId: s.userId, logger: quiet });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = realSetTimeout(() => reject(new Error(`matrix-js-sdk: no initial sync from ${s.baseUrl} within ${timeoutMs / 1000} s`)), timeoutMs);
      client.on(ClientEvent.Sync, (state) => {
        if (state === SyncState.Prepared) resolve();
        if (state === SyncState.Error) reject(new Error(`matrix-js-sdk: sync failed against ${s.baseUrl}`));
        if (state !== SyncState.Syncing) clearTimeout(timer);
      });
      void client.startClient({ initialSyncLimit: 20, lazyLoadMembers: true });
    });
    const room = client.getRoom(roomId);
    if (!room) throw new Error(`matrix-js-sdk: ${s.userId} has no room ${roomId} after the initial sync`);
    const timeline = room.getLiveTimeline();
    // paginateEventTimeline resolves false once the start of the room is reached
    while (await client.paginateEventTimeline(timeline, { backwards: true, limit: 100 }));
    return timeline.getEvents().filter((e) => e.getType() === 'm.room.message').map((e) => e.getId()!);
  } finally {
    client.stopClient();
    globalThis.setTimeout = realSetTimeout;
  }
}
