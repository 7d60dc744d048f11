// Phase 2: synapse_port_db on the final snapshot: append-only tables resume where phase 1 stopped, the others are copied again.
import { portPhaseStep } from './port-phase.js';

export const portFinal = portPhaseStep({
  id: 'port-final',
  title: 'Port what changed since the snapshot',
  why: 'Rows written while phase 1 ran are only in the live file; with Synapse stopped, a last run copies them.',
  phase: 'final',
  snapshot: (ctx) => ctx.paths.finalSnapshot,
  messageCopy: 'Copy what changed since the last copy with COPY.',
  message: 'Run synapse_port_db on the final snapshot.',
});
