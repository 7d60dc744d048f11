// Finds Synapse's own tools where they run (--synapse-exec) and asks them their version and schema version.
import type { Executor } from '../adapters/exec.js';
import { formatArgv } from '../adapters/exec.js';

export interface ToolsInfo {
  synapseVersion: string;
  /** synapse.storage.schema.SCHEMA_VERSION: the newest schema these tools understand. */
  schemaVersion: number;
  /** The interpreter the tools run with (from synapse_port_db's #! line). */
  python: string;
  synctl: boolean;
  updateSynapseDatabase: boolean;
}

export type ToolsProbe = { ok: true; info: ToolsInfo } | { ok: false; problem: string; fix: string };

const PROBE = 'import synapse; from synapse.storage.schema import SCHEMA_VERSION; print("SYNAPSE", synapse.__version__, SCHEMA_VERSION)';

export async function probeTools(exec: Executor): Promise<ToolsProbe> {
  const where = exec.target.kind === 'local' ? 'on this machine' : `through ${formatArgv(exec.wrap([]))}`;
  const find = await exec.run(['sh', '-c', 'for t in synapse_port_db update_synapse_database synctl; do p=$(command -v "$t") && echo "$t $p"; done; p=$(command -v synapse_port_db) && head -n1 "$p"'], { timeoutMs: 60_000 });
  if (find.spawnError) return { ok: false, problem: `Cannot run commands ${where}: ${find.spawnError}`, fix: 'Check --synapse-exec (local, docker:CONTAINER, chroot:DIR): the wizard runs Synapse\'s tools there.' };
  const found = new Map(find.stdout.split('\n').filter((l) => /^\S+ \//.test(l)).map((l) => l.split(' ') as [string, string]));
  if (!found.has('synapse_port_db')) {
    return { ok: false, problem: `synapse_port_db is not installed ${where}.`, fix: 'Point --synapse-exec at the Synapse that runs your homeserver (docker:CONTAINER for the Docker image, chroot:DIR), or activate its virtualenv; Debian\'s matrix-synapse package ships it in /usr/bin.' };
  }
  const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(find.stdout.split('\n').find((l) => l.startsWith('#!')) ?? '');
  const python = shebang ? (shebang[1]!.endsWith('/env') && shebang[2] ? shebang[2] : shebang[1]!) : 'python3';
  const r = await exec.run([python, '-c', PROBE], { timeoutMs: 120_000 });
  const m = /^SYNAPSE (\S+) (\d+)$/m.exec(r.stdout);
  if (!m) {
    return { ok: false, problem: `The Synapse version is unknown: ${python} cannot import synapse ${where} (${(r.spawnError ?? r.stderr.trim().split('\n').pop() ?? '').slice(0, 200)}).`, fix: 'Run the wizard where synapse_port_db and the synapse package belong to the same installation (--synapse-exec).' };
  }
  return { ok: true, info: { synapseVersion: m[1]!, schemaVersion: Number(m[2]), python, synctl: found.has('synctl'), updateSynapseDatabase: found.has('update_synapse_database') } };
}
