// Purge history through the Admin API (purge_up_to_ts), polling each purge's status; local events are kept unless --delete-local-events.
import type { Step } from '../../core/step.js';
import { pollTask } from '../admin-api.js';
import { report, requireApi, type MaintainContext } from '../context.js';
import { eventsBefore, type PurgeRoom } from './purge-scope.js';

const body = (ctx: MaintainContext) => JSON.stringify({ purge_up_to_ts: ctx.opts.beforeTs, delete_local_events: ctx.opts.deleteLocalEvents });

export const purgeHistory: Step<MaintainContext> = {
  id: 'purge',
  title: 'Purge history (Admin API)',
  why: "Old events take most of a homeserver's database; Synapse deletes them itself and keeps room state and the latest event.",
  async check(ctx) {
    const rooms = (ctx.found.purge as PurgeRoom[] | undefined) ?? [];
    if (!rooms.length) return { status: 'skip', message: 'No events are older than the cut-off; nothing to purge.' };
    const n = rooms.reduce((a, r) => a + r.before, 0);
    return {
      status: 'needed',
      message: `${n} events in ${rooms.length} room(s) are older than the cut-off.`,
      plan: [
        ...rooms.map((r) => ({ kind: 'note' as const, text: `POST /_synapse/admin/v1/purge_history/${r.roomId} ${body(ctx)}, then poll /_synapse/admin/v1/purge_history_status/<purge_id>` })),
        { kind: 'note', text: ctx.opts.deleteLocalEvents ? 'Events sent by local users are deleted too (--delete-local-events): they may be the only copies.' : 'Events sent by local users are kept (they may be the only copies); pass --delete-local-events to delete them too. Room state is always kept.' },
      ],
      confirm: `Purge history before ${new Date(ctx.opts.beforeTs!).toISOString()} in ${rooms.length} room(s)${ctx.opts.deleteLocalEvents ? ', local events included' : ''}?`,
    };
  },
  async apply(ctx, sc) {
    const api = requireApi(ctx);
    const rooms = ctx.found.purge as PurgeRoom[];
    for (const [i, r] of rooms.entries()) {
      sc.progress('rooms purged', i, rooms.length, r.roomId);
      const id = await api.purgeHistory(r.roomId, ctx.opts.beforeTs!, ctx.opts.deleteLocalEvents);
      if (id === undefined) {
        sc.log(`${r.roomId}: Synapse finds no event before the cut-off to purge up to; nothing purged there.`);
        continue;
      }
      await pollTask(`the purge of ${r.roomId}`, () => api.purgeStatus(id), { signal: sc.signal });
    }
    sc.progress('rooms purged', rooms.length, rooms.length);
    return `Synapse purged ${rooms.length} room(s).`;
  },
  async verify(ctx) {
    const rooms = ctx.found.purge as PurgeRoom[];
    for (const r of rooms) r.after = await eventsBefore(ctx, r.roomId, ctx.opts.beforeTs!);
    const before = rooms.reduce((a, r) => a + r.before, 0);
    const after = rooms.reduce((a, r) => a + (r.after ?? 0), 0);
    report(ctx, 'purge', 'Events before the cut-off: before and after the purge', 'count', rooms.flatMap((r) => [
      { label: `${r.roomId} before`, value: r.before },
      { label: `${r.roomId} after`, value: r.after ?? 0 },
    ]), [
      { label: 'events before the purge', value: before, unit: 'count' },
      { label: 'events after the purge', value: after, unit: 'count' },
      { label: 'events deleted', value: before - after, unit: 'count' },
    ]);
    if (after > before) return { ok: false, message: `more events before the cut-off than before the purge (${before} -> ${after}).` };
    return { ok: true, message: `events before the cut-off: ${before} -> ${after} (${before - after} deleted; room state${ctx.opts.deleteLocalEvents ? '' : ' and local events'} kept).` };
  },
};
