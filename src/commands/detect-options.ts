// The flags of the read-only look (the menu's detection, status), apart from options.ts so the menu paints without loading execa or pg.
import { homedir } from 'node:os';
import type { ParsedArgs } from '../cli/args.js';
import { defaultStateDir, readState } from '../sandbox/state.js';
import type { DetectOptions } from '../status/detect.js';
import type { ExecTarget } from '../adapters/exec.js';

/** -c, --db-host/--db-port, or with --sandbox the practice homeserver's config and cluster. Never throws. */
export async function detectOptions(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Promise<DetectOptions> {
  const f = args.flags;
  const opts: DetectOptions = { configPaths: f.config, cwd, home: env.HOME ?? homedir(), env, pgHost: f['db-host'], pgPort: f['db-port'] };
  if (!f.sandbox) return opts;
  const state = await readState(f['state-dir'] ?? defaultStateDir(env)).catch(() => undefined);
  if (!state) return opts;
  return { ...opts, configPaths: f.config ?? [state.configPathHost], pgHost: f['db-host'] ?? '127.0.0.1', pgPort: f['db-port'] ?? (state.postgres ? String(state.postgres.port) : undefined) };
}

/** With --sandbox, Synapse's tools and paths are those of the practice homeserver's chroot; undefined otherwise. */
export async function sandboxExecTarget(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): Promise<ExecTarget | undefined> {
  if (!args.flags.sandbox) return undefined;
  const state = await readState(args.flags['state-dir'] ?? defaultStateDir(env)).catch(() => undefined);
  return state ? { kind: 'chroot', dir: state.chrootDir } : undefined;
}
