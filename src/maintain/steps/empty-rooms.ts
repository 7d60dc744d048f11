// Rooms that no local user is in any more (everyone left or forgot them): listed from the Admin API with their size in events.
import type { Step } from '../../core/step.js';
import { report, requireApi, type MaintainContext } from '../context.js';

export interface EmptyRoom {
  roomId: string;
  name: string;
  events: number;
}

export const emptyRooms: Step<MaintainContext> = {
  id: 'empty-rooms',
  title: 'Rooms without local members',
  why: 'A room nobody on this server is in still keeps its events and state; deleting it gives that space back.',
  async check(ctx) {
    const all = await requireApi(ctx).listRooms();
    const empty = all.filter((r) => r.joined_local_members === 0);
    const rooms: EmptyRoom[] = [];
    for (const r of empty) {
      const [c] = await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE room_id = $1`, [r.room_id]);
      rooms.push({ roomId: r.room_id, name: r.name ?? r.canonical_alias ?? '', events: c!.n });
    }
    ctx.found.emptyRooms = rooms;
    if (!rooms.length) ctx.found.nothingToDo = true;
    report(ctx, 'empty-rooms', 'Rooms without local members (events each)', 'count', rooms.map((r) => ({ label: r.name ? `${r.roomId} (${r.name})` : r.roomId, value: r.events })), [
      { label: 'rooms on this server', value: all.length, unit: 'count' },
      { label: 'rooms without local members', value: rooms.length, unit: 'count' },
      { label: 'their events', value: rooms.reduce((a, r) => a + r.events, 0), unit: 'count' },
    ]);
    return { status: 'done', message: `${rooms.length} of ${all.length} room(s) have no local members.` };
  },
  async apply() {
    return 'Nothing to apply.';
  },
  async verify() {
    return { ok: true, message: 'listed from /_synapse/admin/v1/rooms.' };
  },
};
