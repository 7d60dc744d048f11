// Before purging: which rooms, and how many of their events are older than the cut-off (counted in the events table).
import type { Step } from '../../core/step.js';
import { report, requireApi, type MaintainContext } from '../context.js';

export interface PurgeRoom {
  roomId: string;
  before: number;
  after?: number;
}

export async function eventsBefore(ctx: MaintainContext, roomId: string, ts: number): Promise<number> {
  const [r] = await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE room_id = $1 AND origin_server_ts < $2`, [roomId, ts]);
  return r!.n;
}

export const purgeScope: Step<MaintainContext> = {
  id: 'purge-scope',
  title: 'Events older than the cut-off',
  why: 'Shows how much history each room has before the date, so you see what the purge will touch.',
  async check(ctx) {
    const ts = ctx.opts.beforeTs;
    if (ts === undefined) return { status: 'blocked', message: 'No cut-off date.', hint: 'Pass --before DATE (2024-01-31, an ISO time, or 90d for 90 days ago).' };
    if (!ctx.opts.rooms.length && !ctx.opts.allRooms) return { status: 'blocked', message: 'No room named.', hint: 'Pass --room !ROOM_ID:server (repeatable), or --all-rooms.' };
    const ids = ctx.opts.allRooms ? (await requireApi(ctx).listRooms()).map((r) => r.room_id) : ctx.opts.rooms;
    const rooms: PurgeRoom[] = [];
    for (const roomId of ids) rooms.push({ roomId, before: await eventsBefore(ctx, roomId, ts) });
    ctx.found.purge = rooms.filter((r) => r.before > 0);
    const total = rooms.reduce((a, r) => a + r.before, 0);
    const when = new Date(ts).toISOString();
    report(ctx, 'purge-scope', `Events before ${when}, by room`, 'count', rooms.map((r) => ({ label: r.roomId, value: r.before })), [
      { label: 'rooms', value: rooms.length, unit: 'count' },
      { label: `events before ${when}`, value: total, unit: 'count' },
    ]);
    if (total === 0) ctx.found.nothingToDo = true;
    return { status: 'done', message: `${total} events before ${when} in ${rooms.length} room(s).` };
  },
  async apply() {
    return 'Nothing to apply.';
  },
  async verify() {
    return { ok: true, message: 'counted in the events table.' };
  },
};
