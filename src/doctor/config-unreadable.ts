// The Synapse config cannot be read or parsed: Synapse cannot start either, and every other check works blind without it.
import type { Diagnosis } from './types.js';

export const configUnreadable: Diagnosis = {
  id: 'config-unreadable',
  rank: 5,
  title: 'The Synapse config cannot be read',
  patterns: [],
  async diagnose(ctx) {
    const e = ctx.configError;
    if (!e) return undefined;
    return {
      id: this.id,
      title: this.title,
      evidence: e.message,
      cause: e.code === 'CONFIG_PARSE' ? 'The file is not valid YAML; Synapse stops at the same spot.' : 'The file is missing or this user may not read it.',
      fix: e.hint ?? 'fix the file, then run the doctor again',
      needsSynapseStopped: false,
      plan: [],
    };
  },
};
