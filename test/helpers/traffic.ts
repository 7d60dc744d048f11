// Real client traffic through Synapse's client API, the kinds a homeserver with Element users carries: messages, reactions,
// edits, read receipts, device keys and one-time keys, and server-side key backup (one row per Megolm session in e2e_room_keys).
import { randomBytes, randomUUID } from 'node:crypto';
import type { MatrixSession } from '../../src/synapse/client.js';

async function call(s: MatrixSession, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${s.baseUrl}/_matrix/client/v3${path}`, {
    method,
    headers: { authorization: `Bearer ${s.accessToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status === 429) {
    await new Promise((r) => setTimeout(r, Number(JSON.parse(text).retry_after_ms ?? 500)));
    return call(s, method, path, body);
  }
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

const enc = encodeURIComponent;
const b64 = (n: number) => randomBytes(n).toString('base64').replace(/=+$/, '');

/** A reaction, an edit and a read receipt on a message; returns the ids of the events it sent. */
export async function reactEditRead(s: MatrixSession, roomId: string, eventId: string): Promise<string[]> {
  const r = await call(s, 'PUT', `/rooms/${enc(roomId)}/send/m.reaction/${randomUUID()}`, { 'm.relates_to': { rel_type: 'm.annotation', event_id: eventId, key: '👍' } });
  const e = await call(s, 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/${randomUUID()}`, {
    msgtype: 'm.text', body: '* edited', 'm.new_content': { msgtype: 'm.text', body: 'edited' }, 'm.relates_to': { rel_type: 'm.replace', event_id: eventId },
  });
  await call(s, 'POST', `/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, {});
  return [r.event_id, e.event_id];
}

/** Device keys and a few one-time keys for the session's device (unsigned: the server stores what it is given). */
export async function uploadDeviceKeys(s: MatrixSession, deviceId: string): Promise<void> {
  const one_time_keys: Record<string, unknown> = {};
  for (let i = 0; i < 5; i++) one_time_keys[`curve25519:AAAA${i}${b64(3)}`] = b64(32);
  await call(s, 'POST', '/keys/upload', {
    device_keys: { user_id: s.userId, device_id: deviceId, algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'], keys: { [`curve25519:${deviceId}`]: b64(32), [`ed25519:${deviceId}`]: b64(32) }, signatures: {} },
    one_time_keys,
  });
}

/** Server-side key backup: a backup version, then `sessions` Megolm sessions in one room, `batch` per PUT. */
export async function uploadKeyBackup(s: MatrixSession, roomId: string, sessions: number, batch = 500, offset = 0): Promise<string> {
  const existing = await call(s, 'GET', '/room_keys/version').catch(() => undefined);
  const version: string = existing?.version ?? (await call(s, 'POST', '/room_keys/version', { algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: { public_key: b64(32), signatures: {} } })).version;
  for (let i = 0; i < sessions; i += batch) {
    const sess: Record<string, unknown> = {};
    for (let j = i; j < Math.min(sessions, i + batch); j++) {
      sess[`session${offset + j}${b64(6)}`] = { first_message_index: j % 7, forwarded_count: 0, is_verified: j % 2 === 0, session_data: { ephemeral: b64(32), ciphertext: b64(96), mac: b64(8) } };
    }
    await call(s, 'PUT', `/room_keys/keys?version=${enc(version)}`, { rooms: { [roomId]: { sessions: sess } } });
  }
  return version;
}

export async function whoamiDevice(s: MatrixSession): Promise<string> {
  return (await call(s, 'GET', '/account/whoami')).device_id;
}
