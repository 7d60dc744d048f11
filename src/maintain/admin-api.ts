// Synapse's Admin API (purge history, list and delete rooms) over fetch, with the admin's access token kept out of every message.
import { WizardError } from '../core/errors.js';
import { redact, registerSecret } from '../core/redact.js';
import { request, trimBase } from '../synapse/http.js';

export interface AdminRoom {
  room_id: string;
  name?: string | null;
  canonical_alias?: string | null;
  joined_members: number;
  joined_local_members: number;
}

export type TaskState = 'active' | 'scheduled' | 'complete' | 'failed';

export interface AdminApi {
  readonly baseUrl: string;
  whoami(): Promise<string>;
  /** GET /_synapse/admin/v2/users/<user>: succeeds only for a server admin's token. */
  assertAdmin(userId: string): Promise<void>;
  listRooms(): Promise<AdminRoom[]>;
  /** The purge id, or undefined when Synapse finds no event before the cut-off to purge up to. */
  purgeHistory(roomId: string, upToTs: number, deleteLocalEvents: boolean): Promise<string | undefined>;
  purgeStatus(purgeId: string): Promise<{ status: TaskState; error?: string }>;
  deleteRoom(roomId: string): Promise<string>;
  deleteStatus(roomId: string): Promise<{ status: TaskState; error?: string }>;
}

const HINT = 'Check that Synapse runs and that --synapse-url (or the client listener in homeserver.yaml) is where it answers; the Admin API is served on listeners with the "client" resource.';

export function createAdminApi(baseUrl: string, token: string, timeoutMs = 60_000): AdminApi {
  registerSecret(token);
  const base = trimBase(baseUrl);
  const call = async (method: string, path: string, body?: unknown, notFound?: unknown): Promise<any> => {
    const r = await request(base, method, path, { body, token, timeoutMs, unreachableHint: HINT });
    const json = r.text ? r.json : {};
    if (r.status === 404 && notFound !== undefined && json?.errcode === 'M_NOT_FOUND') return notFound;
    if (r.status !== 200) {
      const why = json?.errcode ? `${json.errcode}: ${json.error}` : r.text.slice(0, 200);
      const hint = r.status === 401 ? 'The access token is not valid (expired or logged out); get a new one for a server admin.' : r.status === 403 ? 'The token belongs to a user who is not a server admin.' : HINT;
      throw new WizardError('SERVICE', redact(`${method} ${path} answered HTTP ${r.status}: ${why}`), { hint });
    }
    return json;
  };
  const state = (s: unknown): TaskState => (s === 'complete' || s === 'failed' || s === 'scheduled' ? s : 'active');
  return {
    baseUrl: base,
    async whoami() {
      const j = await call('GET', '/_matrix/client/v3/account/whoami');
      return String(j.user_id);
    },
    async assertAdmin(userId) {
      await call('GET', `/_synapse/admin/v2/users/${encodeURIComponent(userId)}`);
    },
    async listRooms() {
      const out: AdminRoom[] = [];
      let from = 0;
      for (;;) {
        const j = await call('GET', `/_synapse/admin/v1/rooms?from=${from}&limit=500&order_by=name`);
        out.push(...(j.rooms as AdminRoom[]));
        if (j.next_batch === undefined || j.next_batch === null) return out;
        from = Number(j.next_batch);
      }
    },
    async purgeHistory(roomId, upToTs, deleteLocalEvents) {
      const j = await call('POST', `/_synapse/admin/v1/purge_history/${encodeURIComponent(roomId)}`, { purge_up_to_ts: upToTs, delete_local_events: deleteLocalEvents }, null);
      return j === null ? undefined : String(j.purge_id);
    },
    async purgeStatus(purgeId) {
      const j = await call('GET', `/_synapse/admin/v1/purge_history_status/${encodeURIComponent(purgeId)}`);
      return { status: state(j.status), error: j.error };
    },
    async deleteRoom(roomId) {
      const j = await call('DELETE', `/_synapse/admin/v2/rooms/${encodeURIComponent(roomId)}`, { purge: true, block: false });
      return String(j.delete_id);
    },
    async deleteStatus(roomId) {
      // Synapse lists only active, complete and failed tasks here: a task still scheduled answers 404 for a moment.
      const j = await call('GET', `/_synapse/admin/v2/rooms/${encodeURIComponent(roomId)}/delete_status`, undefined, { results: [] });
      const results = (j.results ?? []) as { status: string; error?: string }[];
      // the newest task decides; any failure is reported
      const failed = results.find((r) => r.status === 'failed');
      if (failed) return { status: 'failed', error: failed.error };
      if (!results.length) return { status: 'scheduled' };
      return { status: results.every((r) => r.status === 'complete') ? 'complete' : 'active' };
    },
  };
}

/** Polls a Synapse background task until it completes or fails; throws on failure or after timeoutMs. */
export async function pollTask(what: string, poll: () => Promise<{ status: TaskState; error?: string }>, opts: { timeoutMs?: number; everyMs?: number; signal?: AbortSignal } = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
  for (;;) {
    if (opts.signal?.aborted) throw new WizardError('CANCELLED', `Stopped while waiting for ${what}; Synapse finishes the task on its own.`);
    const s = await poll();
    if (s.status === 'complete') return;
    if (s.status === 'failed') throw new WizardError('SERVICE', `${what} failed in Synapse: ${s.error ?? 'no reason given'}`, { hint: 'Read the Synapse log around this time for the reason.' });
    if (Date.now() > deadline) throw new WizardError('SERVICE', `${what} did not finish within ${Math.round((opts.timeoutMs ?? 600_000) / 1000)} s`, { hint: 'Synapse keeps working on it in the background; run the same command later to see the outcome.' });
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 500));
  }
}
