// A tiny Matrix client-server API client over fetch: enough to prove a homeserver is alive and that its messages survive a move.
import { createHmac, randomUUID } from 'node:crypto';
import { WizardError } from '../core/errors.js';
import { redact, registerSecret } from '../core/redact.js';
import { request, trimBase, type HttpResponse } from './http.js';

export interface MatrixRequestOptions {
  /** Per-request timeout; Synapse can be slow on a cold SQLite database. */
  timeoutMs?: number;
}

export interface MatrixMessage {
  eventId: string;
  sender: string;
  body: string;
  originServerTs: number;
}

function fail(what: string, r: HttpResponse, hint: string): never {
  const errcode = r.json?.errcode ? `${r.json.errcode}: ` : '';
  const detail = r.json?.error ?? r.text.slice(0, 200);
  throw new WizardError('SERVICE', redact(`${what} failed with HTTP ${r.status}: ${errcode}${detail}`), { hint });
}

/** GET /health: resolves true when Synapse answers "OK", false when it answers otherwise or not at all. */
export async function health(baseUrl: string, opts: MatrixRequestOptions = {}): Promise<boolean> {
  // fetch's timeout timer does not keep Node running: a connection accepted and then dropped (docker-proxy before the container
  // listens) would leave this promise pending in a process with nothing else to do; this timer keeps it alive until the answer
  const keepAlive = setInterval(() => undefined, 1000);
  try {
    const r = await request(baseUrl, 'GET', '/health', { timeoutMs: opts.timeoutMs ?? 5_000 });
    return r.status === 200 && r.text.trim() === 'OK';
  } catch {
    return false;
  } finally {
    clearInterval(keepAlive);
  }
}

/** GET /_matrix/client/versions: the spec versions the server supports. */
export async function versions(baseUrl: string, opts: MatrixRequestOptions = {}): Promise<string[]> {
  const r = await request(baseUrl, 'GET', '/_matrix/client/versions', opts);
  if (r.status !== 200 || !Array.isArray(r.json?.versions)) fail('GET /_matrix/client/versions', r, 'Is this URL a Matrix homeserver? It should be the client listener of Synapse, e.g. http://127.0.0.1:8008.');
  return r.json.versions as string[];
}

/** The HMAC-SHA1 Synapse's admin register API expects: nonce, user, password, admin|notadmin joined by NUL bytes. */
export function registerMac(sharedSecret: string, nonce: string, user: string, password: string, admin: boolean): string {
  return createHmac('sha1', Buffer.from(sharedSecret, 'utf8'))
    .update(Buffer.from(`${nonce}\0${user}\0${password}\0${admin ? 'admin' : 'notadmin'}`, 'utf8'))
    .digest('hex');
}

/** A logged-in user: the access token stays inside and is registered as a secret. */
export class MatrixSession {
  readonly baseUrl: string;
  readonly userId: string;
  readonly #token: string;

  constructor(baseUrl: string, userId: string, accessToken: string) {
    registerSecret(accessToken);
    this.baseUrl = trimBase(baseUrl);
    this.userId = userId;
    this.#token = accessToken;
  }

  /** For the rare caller that must hand the token on (e.g. to another tool's stdin); never log it. */
  get accessToken(): string {
    return this.#token;
  }

  async createRoom(opts: { name?: string; topic?: string; preset?: 'private_chat' | 'public_chat' | 'trusted_private_chat'; invite?: string[] } = {}): Promise<string> {
    const r = await request(this.baseUrl, 'POST', '/_matrix/client/v3/createRoom', { token: this.#token, body: { preset: 'private_chat', ...opts } });
    if (r.status !== 200 || typeof r.json?.room_id !== 'string') fail('createRoom', r, 'Check the Synapse log for the reason the room could not be created.');
    return r.json.room_id as string;
  }

  /** Joins a room the user may join (public, or invited); returns the room id. */
  async joinRoom(roomIdOrAlias: string): Promise<string> {
    const r = await request(this.baseUrl, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomIdOrAlias)}`, { token: this.#token, body: {} });
    if (r.status !== 200 || typeof r.json?.room_id !== 'string') fail(`join ${roomIdOrAlias}`, r, 'The room must be public or the user invited.');
    return r.json.room_id as string;
  }

  /** Sends an m.text message with a fresh transaction id; returns the event id. */
  async sendMessage(roomId: string, body: string, txnId: string = randomUUID()): Promise<string> {
    const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${encodeURIComponent(txnId)}`;
    const r = await request(this.baseUrl, 'PUT', path, { token: this.#token, body: { msgtype: 'm.text', body } });
    if (r.status !== 200 || typeof r.json?.event_id !== 'string') fail(`send to ${roomId}`, r, 'Is the user joined to this room? Check the Synapse log.');
    return r.json.event_id as string;
  }

  /** Reads every m.room.message of a room, oldest first, following pagination tokens to the end. */
  async messages(roomId: string, opts: { pageSize?: number; maxPages?: number } = {}): Promise<MatrixMessage[]> {
    const out: MatrixMessage[] = [];
    let from: string | undefined;
    for (let page = 0; page < (opts.maxPages ?? 10_000); page++) {
      const q = new URLSearchParams({ dir: 'f', limit: String(opts.pageSize ?? 100) });
      if (from) q.set('from', from);
      const r = await request(this.baseUrl, 'GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?${q}`, { token: this.#token });
      if (r.status !== 200 || !Array.isArray(r.json?.chunk)) fail(`read messages of ${roomId}`, r, 'Is the user joined to this room? Check the Synapse log.');
      for (const ev of r.json.chunk) {
        if (ev.type === 'm.room.message') out.push({ eventId: ev.event_id, sender: ev.sender, body: String(ev.content?.body ?? ''), originServerTs: ev.origin_server_ts });
      }
      const end: string | undefined = r.json.end;
      if (!end || r.json.chunk.length === 0 || end === from) return out;
      from = end;
    }
    throw new WizardError('SERVICE', `reading ${roomId} did not finish within ${opts.maxPages} pages`, { hint: 'Raise maxPages or pageSize.' });
  }

  async joinedRooms(): Promise<string[]> {
    const r = await request(this.baseUrl, 'GET', '/_matrix/client/v3/joined_rooms', { token: this.#token });
    if (r.status !== 200 || !Array.isArray(r.json?.joined_rooms)) fail('joined_rooms', r, 'The access token may be invalid; log in again.');
    return r.json.joined_rooms as string[];
  }

  async whoami(): Promise<string> {
    const r = await request(this.baseUrl, 'GET', '/_matrix/client/v3/account/whoami', { token: this.#token });
    if (r.status !== 200 || typeof r.json?.user_id !== 'string') fail('whoami', r, 'The access token may be invalid; log in again.');
    return r.json.user_id as string;
  }
}

/** Registers a user through the admin API (`/_synapse/admin/v1/register`) with the homeserver's registration_shared_secret. */
export async function registerWithSharedSecret(baseUrl: string, sharedSecret: string, user: string, password: string, admin: boolean): Promise<MatrixSession> {
  registerSecret(sharedSecret);
  registerSecret(password);
  const hint = 'Use the registration_shared_secret from homeserver.yaml (or its registration_shared_secret_path file).';
  const n = await request(baseUrl, 'GET', '/_synapse/admin/v1/register');
  if (n.status !== 200 || typeof n.json?.nonce !== 'string') fail('GET /_synapse/admin/v1/register', n, `${hint} The admin API is only served on a listener with the "client" resource.`);
  const mac = registerMac(sharedSecret, n.json.nonce, user, password, admin);
  const r = await request(baseUrl, 'POST', '/_synapse/admin/v1/register', { body: { nonce: n.json.nonce, username: user, password, admin, mac } });
  if (r.status !== 200 || typeof r.json?.access_token !== 'string') fail(`register ${user}`, r, r.json?.errcode === 'M_USER_IN_USE' ? 'The user exists already; log in instead.' : hint);
  return new MatrixSession(baseUrl, r.json.user_id, r.json.access_token);
}

/** Logs in with m.login.password. */
export async function login(baseUrl: string, user: string, password: string): Promise<MatrixSession> {
  registerSecret(password);
  const r = await request(baseUrl, 'POST', '/_matrix/client/v3/login', {
    body: { type: 'm.login.password', identifier: { type: 'm.id.user', user }, password, initial_device_display_name: 'synapse-pg-wizard' },
  });
  if (r.status !== 200 || typeof r.json?.access_token !== 'string') fail(`login as ${user}`, r, 'Check the user name and password; after a move to PostgreSQL, a failed login usually means the users table was not ported.');
  return new MatrixSession(baseUrl, r.json.user_id, r.json.access_token);
}
