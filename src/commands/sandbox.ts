// `synapse-pg sandbox up|down|status`: the practice homeserver (real Synapse in a Debian chroot, on SQLite) and a PostgreSQL cluster to move it to.
import { commandLine, type ParsedArgs } from '../cli/args.js';
import { WizardError } from '../core/errors.js';
import { sandboxDown, sandboxStatus, sandboxUp } from '../sandbox/sandbox.js';
import type { Ui } from '../core/ui.js';
import { sandboxOptions } from './options.js';

export async function runSandbox(args: ParsedArgs, ui: Ui, env: NodeJS.ProcessEnv = process.env): Promise<{ ok: boolean; message: string }> {
  const { action, stateDir, chrootDir } = sandboxOptions(args, env);
  const log = (message: string) => ui.emit({ event: 'log', id: `sandbox-${action}`, level: 'info', message });
  const done = (ok: boolean, message: string, hint?: string) => {
    ui.emit({ event: 'done', ok, message, hint });
    return { ok, message };
  };
  switch (action) {
    case 'up': {
      const s = await sandboxUp({ chrootDir, stateDir, onLog: log });
      return done(true, `Practice homeserver ${s.serverName} runs on SQLite at ${s.baseUrl} (Synapse ${s.synapseVersion}, ${s.users.length} users, ${s.rooms.length} rooms, ${s.messageCount} messages); PostgreSQL to move it to listens on 127.0.0.1:${s.postgres?.port}. Its config: ${s.configPathHost}. Rehearse with: ${commandLine({ flags: { ...args.flags, sandbox: true } }, 'cutover')}`);
    }
    case 'down':
      await sandboxDown({ stateDir, onLog: log });
      return done(true, `Practice homeserver removed (state in ${stateDir}).`);
    case 'status': {
      const s = await sandboxStatus({ stateDir });
      if (!s.state) return done(true, `No practice homeserver (state dir ${stateDir}). Create one with: ${commandLine({ flags: { 'state-dir': args.flags['state-dir'], chroot: args.flags.chroot } }, 'sandbox', 'up')}`);
      log(`Config ${s.state.configPathHost}; SQLite ${s.state.sqlitePathHost}; chroot ${s.state.chrootDir}`);
      return done(true, `Practice homeserver ${s.state.serverName}: Synapse ${s.synapseRunning ? 'running' : 'stopped'}${s.healthy ? ` and healthy at ${s.state.baseUrl}` : ''}; PostgreSQL ${s.postgresRunning ? `running on 127.0.0.1:${s.state.postgres?.port}` : 'not running'}.`);
    }
    default:
      throw new WizardError('BAD_INPUT', `sandbox "${action}" is not up, down or status.`, { hint: 'Run synapse-pg sandbox up, synapse-pg sandbox status or synapse-pg sandbox down.' });
  }
}
