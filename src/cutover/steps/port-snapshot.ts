// Phase 1: synapse_port_db copies the snapshot into PostgreSQL while Synapse keeps serving from the live file.
import { portPhaseStep } from './port-phase.js';

export const portSnapshot = portPhaseStep({
  id: 'port-snapshot',
  title: 'Port the snapshot to PostgreSQL (Synapse keeps running)',
  why: 'The long copy happens now, while Synapse serves; phase 2 then copies only what changed, so the downtime stays short.',
  phase: 'phase1',
  snapshot: (ctx) => ctx.paths.phase1Snapshot,
  messageCopy: 'Copy the snapshot into PostgreSQL with COPY.',
  message: 'Run synapse_port_db on the snapshot.',
});
