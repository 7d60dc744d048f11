// Deletes the listed rooms with DELETE /_synapse/admin/v2/rooms/<room_id> (purge), polling delete_status; proven by the rooms table.
import type { Step } from '../../core/step.js';
import { pollTask } from '../admin-api.js';
import { report, requireApi, type MaintainContext } from '../context.js';
import type { EmptyRoom } from './empty-rooms.js';

async function stillInRooms(ctx: MaintainContext, ids: string[]): Promise<string[]> {
  const rows = await ctx.db.query<{ room_id: string }>(`SELECT room_id FROM rooms WHERE room_id = ANY($1)`, [ids]);
  return rows.map((r) => r.room_id);
}

export const deleteRooms: Step<MaintainContext> = {
  id: 'delete-rooms',
  title: 'Delete rooms without local members (Admin API)',
  why: 'Synapse removes every trace of the room from its database itself (purge), so nothing is left half-deleted.',
  async check(ctx) {
    const rooms = (ctx.found.emptyRooms as EmptyRoom[] | undefined) ?? [];
    if (!rooms.length) return { status: 'skip', message: 'No room without local members; nothing to delete.' };
    return {
      status: 'needed',
      message: `${rooms.length} room(s) will be deleted.`,
      plan: rooms.map((r) => ({ kind: 'note' as const, text: `DELETE /_synapse/admin/v2/rooms/${r.roomId} {"purge": true, "block": false}${r.name ? ` (${r.name})` : ''}, ${r.events} events; then poll /_synapse/admin/v2/rooms/${r.roomId}/delete_status` })),
      confirm: `Delete these ${rooms.length} room(s) and all their history from the database?`,
    };
  },
  async apply(ctx, sc) {
    const api = requireApi(ctx);
    const rooms = ctx.found.emptyRooms as EmptyRoom[];
    for (const [i, r] of rooms.entries()) {
      sc.progress('rooms deleted', i, rooms.length, r.roomId);
      await api.deleteRoom(r.roomId);
      await pollTask(`the deletion of ${r.roomId}`, () => api.deleteStatus(r.roomId), { signal: sc.signal });
    }
    sc.progress('rooms deleted', rooms.length, rooms.length);
    return `Synapse deleted ${rooms.length} room(s).`;
  },
  async verify(ctx) {
    const rooms = ctx.found.emptyRooms as EmptyRoom[];
    const left = await stillInRooms(ctx, rooms.map((r) => r.roomId));
    const [t] = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM rooms');
    report(ctx, 'delete-rooms', 'Rooms deleted', 'count', [], [
      { label: 'rooms deleted', value: rooms.length - left.length, unit: 'count' },
      { label: 'events deleted with them', value: rooms.filter((r) => !left.includes(r.roomId)).reduce((a, r) => a + r.events, 0), unit: 'count' },
      { label: 'rooms left in the rooms table', value: t!.n, unit: 'count' },
    ]);
    if (left.length) return { ok: false, message: `still in the rooms table: ${left.join(', ')}.`, hint: 'Read the Synapse log for why the deletion did not purge them.' };
    return { ok: true, message: `none of the ${rooms.length} room(s) is left in the rooms table.` };
  },
};
