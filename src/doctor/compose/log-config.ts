// The file log_config names must exist where Synapse runs (inside the container). At start Synapse writes a default one when it is
// missing (generate_missing_files), but exits with FileNotFoundError/PermissionError when it may not create it there (a directory that
// is not in the volume, a read-only or foreign-owned mount) - a common sight when homeserver.yaml is moved into a fresh volume.
import { existsSync, promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { formatArgv } from '../../adapters/exec.js';
import { editFile } from '../../adapters/files.js';
import { unifiedDiff } from '../../core/diff.js';
import { WizardError } from '../../core/errors.js';
import type { DoctorContext } from '../context.js';
import type { Diagnosis } from '../types.js';
import { composeDeployment, hostPath } from './deployment.js';

const MISSING = /(?:No such file or directory|Permission denied): '([^']*log[^']*config[^']*)'/;

/** Logs to the console (`docker logs`), at INFO; synapse.storage.SQL is held at INFO because at DEBUG it logs access tokens. */
export const SANE_LOG_CONFIG = `# Written by synapse-pg-wizard doctor: Synapse logs to the console (read it with "docker compose logs").
version: 1

formatters:
  precise:
    format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s'

handlers:
  console:
    class: logging.StreamHandler
    formatter: precise

loggers:
  # At DEBUG this logger writes SQL with its parameters, access tokens included: keep it at INFO.
  synapse.storage.SQL:
    level: INFO

root:
  level: INFO
  handlers: [console]

disable_existing_loggers: false
`;

interface State {
  inside: string;
  host?: string;
  exists: boolean;
}

async function state(ctx: DoctorContext): Promise<State | undefined> {
  const lc = ctx.config?.merged.log_config;
  if (typeof lc !== 'string' || !lc.startsWith('/')) return undefined;
  // outside compose Synapse writes a missing log config itself at start (generate_missing_files), where it may
  const d = composeDeployment(ctx);
  if (!d) return undefined;
  const host = hostPath(ctx, d, lc);
  if (host) return { inside: lc, host, exists: existsSync(host) };
  // not on a mount the doctor knows: ask inside the container
  const r = await d.exec.run(['test', '-e', lc], { timeoutMs: 30_000 });
  return r.spawnError || (r.exitCode !== 0 && r.exitCode !== 1) ? undefined : { inside: lc, exists: r.exitCode === 0 };
}

export const logConfigMissing: Diagnosis = {
  id: 'log-config-missing',
  rank: 15,
  title: 'The log config Synapse names does not exist',
  patterns: [MISSING],
  canCheck: (ctx) => typeof ctx.config?.merged.log_config === 'string' && !!composeDeployment(ctx),
  async diagnose(ctx) {
    const s = await state(ctx);
    if (!s || s.exists) return undefined;
    const d = composeDeployment(ctx)!;
    const where = `inside the compose service "${d.service}" (${formatArgv(d.exec.wrap([]))})`;
    const owner = d.uid !== undefined && d.gid !== undefined ? { uid: d.uid, gid: d.gid } : {};
    return {
      id: this.id,
      title: this.title,
      evidence: `log_config: ${s.inside} in ${ctx.config!.files.find((f) => 'log_config' in f.data)?.path ?? 'the config'}, but ${s.host && s.host !== s.inside ? `${s.host} (its path on this host)` : s.inside} does not exist ${where}.`,
      cause: "Synapse reads the log config before anything else; when it is missing Synapse tries to write a default one there (logging to homeserver.log in its working directory) and exits with FileNotFoundError or PermissionError when it cannot: the generated <server_name>.log.config was not copied into the volume, or log_config names a directory the container does not have or may not write.",
      fix: s.host ? `write a log config to ${s.host}: console handler, level INFO, synapse.storage.SQL held at INFO (so access tokens are never logged); then start Synapse` : `create ${s.inside} inside the container (mount a directory of the host there), then run the doctor again`,
      needsSynapseStopped: false,
      restartSynapse: true,
      plan: s.host ? [{ kind: 'file', path: s.host, diff: unifiedDiff('', SANE_LOG_CONFIG, s.host) }] : [],
      apply: s.host
        ? async () => {
            const dir = dirname(s.host!);
            if (!existsSync(dir)) {
              await fs.mkdir(dir, { recursive: true, mode: 0o755 });
              if (owner.uid !== undefined) await fs.chown(dir, owner.uid, owner.gid!);
            }
            await editFile(s.host!, SANE_LOG_CONFIG, { mode: 0o644, ...owner });
            return `Wrote ${s.host} (console, INFO, synapse.storage.SQL at INFO)${owner.uid !== undefined ? `, owned by ${owner.uid}:${owner.gid}` : ''}.`;
          }
        : undefined,
      verify: async () => {
        const r = await d.exec.run(['python3', '-c', 'import sys, yaml, logging.config; logging.config.dictConfig(yaml.safe_load(open(sys.argv[1])))', s.inside], { timeoutMs: 30_000 });
        if (r.exitCode !== 0) throw new WizardError('UNVERIFIED', `Python's logging rejects ${s.inside}: ${r.spawnError ?? r.stderr.trim().split('\n').slice(-1)[0]}`);
        return `Python's logging loads ${s.inside} where Synapse runs.`;
      },
    };
  },
  fromText: (_ctx, line) => ({
    cause: `Synapse could not open its log config (${MISSING.exec(line)?.[1] ?? 'the file log_config names'}) and exited.`,
    fix: 'create that file (a console handler at INFO with synapse.storage.SQL at INFO) inside the container, or point log_config at an existing one',
  }),
};
