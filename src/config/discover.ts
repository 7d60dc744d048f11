// Finds the Synapse config files the way Synapse itself would read them (files and config directories, in order).
import { access, readdir, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { WizardError } from '../core/errors.js';
import { MESSAGES } from '../core/messages.js';

export interface DiscoverEnv {
  cwd: string;
  home: string;
}

/** Where Synapse configs usually live, each as the --config-path list Synapse is started with. */
export const AUTO_DETECT = (env: DiscoverEnv): string[][] => [
  [join(env.cwd, 'homeserver.yaml')],
  ['/etc/matrix-synapse/homeserver.yaml', '/etc/matrix-synapse/conf.d'], // Debian package (systemd unit matrix-synapse)
  ['/data/homeserver.yaml'], // the matrixdotorg/synapse Docker image
  [join(env.home, 'synapse', 'homeserver.yaml')], // pip install in a virtualenv, as in the install docs
];

const NOT_THERE = new Set(['ENOENT', 'ENOTDIR']);

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

function accessError(path: string, e: unknown): WizardError {
  const code = errno(e);
  if (code && NOT_THERE.has(code)) {
    return new WizardError('CONFIG_NOT_FOUND', `${path}: no such file or directory`, {
      hint: 'Pass the paths Synapse is started with: --config-path FILE (repeat it for each file or config directory).',
      cause: e,
    });
  }
  const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ELOOP' ? 'too many levels of symbolic links' : (code ?? String(e));
  return new WizardError('CONFIG_UNREADABLE', `${path}: cannot read (${why})`, {
    hint: code === 'EACCES' || code === 'EPERM'
      ? 'Run the wizard as root (sudo) or as the user Synapse runs as, so it can read the config.'
      : 'Check that the path is a readable file or directory (ls -lL on it).',
    cause: e,
  });
}

/** Python's sorted() on str compares code points; UTF-8 byte order is the same order. */
function byCodePoint(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Same rule as find_config_files in synapse/config/_base.py: regular files ending in ".yaml", sorted by path. */
async function listConfigDir(dir: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (e) {
    throw accessError(dir, e);
  }
  const files: string[] = [];
  for (const entry of entries) {
    if (!entry.endsWith('.yaml')) continue; // Synapse prints "does not end in '.yaml' ... IGNORING"
    const full = join(dir, entry);
    // os.path.isfile follows symlinks and is false for dangling links and directories: Synapse ignores those.
    const st = await stat(full).catch(() => undefined);
    if (st?.isFile()) files.push(full);
  }
  return files.sort(byCodePoint);
}

/** Expands config paths into the ordered list of files Synapse reads: a directory becomes its *.yaml files. */
export async function expandConfigPaths(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    let st;
    try {
      st = await stat(path);
    } catch (e) {
      throw accessError(path, e);
    }
    if (st.isDirectory()) {
      out.push(...(await listConfigDir(path)));
      continue;
    }
    try {
      await access(path, constants.R_OK);
    } catch (e) {
      throw accessError(path, e);
    }
    out.push(path);
  }
  return out;
}

/** True when something is at `path`, even if we may not read it (then expanding reports why). */
async function present(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (e) {
    const code = errno(e);
    return !(code && NOT_THERE.has(code));
  }
}

/**
 * The config files to use: the explicit paths expanded, or the first auto-detected candidate whose
 * first file exists, or undefined when nothing was found.
 */
export async function findConfigPaths(explicit: string[] | undefined, env: DiscoverEnv): Promise<string[] | undefined> {
  if (explicit && explicit.length > 0) return expandConfigPaths(explicit);
  for (const candidate of AUTO_DETECT(env)) {
    if (await present(candidate[0])) return expandConfigPaths(candidate);
  }
  return undefined;
}

/** The config files to use, or CONFIG_NOT_FOUND with the hint every command gives. */
export async function requireConfigPaths(explicit: string[] | undefined, env: DiscoverEnv): Promise<string[]> {
  const paths = await findConfigPaths(explicit, env);
  if (!paths) throw new WizardError('CONFIG_NOT_FOUND', MESSAGES.configNotFound, { hint: MESSAGES.configNotFoundHint });
  return paths;
}
