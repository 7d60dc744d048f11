// Every file the wizard edits goes through here: backed up first, written atomically, mode and owner kept.
import { constants, promises as fs } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { WizardError } from '../core/errors.js';
import { holdsSecret } from '../core/redact.js';

export interface WriteOptions {
  /** Mode for a new file (existing files keep theirs unless `mode` is forced). */
  mode?: number;
  /** Force this mode even when the file exists (used to tighten files that hold secrets). */
  forceMode?: boolean;
  uid?: number;
  gid?: number;
}

export function timestamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** The file a path names: a symlink (or a chain of them) is followed to its target, which is what gets edited; the link stays. */
export async function resolveTarget(path: string): Promise<string> {
  let p = path;
  for (let i = 0; i < 40; i++) {
    let st;
    try {
      st = await fs.lstat(p);
    } catch {
      return p; // does not exist (yet): a new file, or the end of a dangling link
    }
    if (!st.isSymbolicLink()) return p;
    const to = await fs.readlink(p);
    p = isAbsolute(to) ? to : resolve(dirname(p), to);
  }
  throw new WizardError('BAD_INPUT', `${path}: too many levels of symbolic links.`, { hint: 'Point the wizard at the real file.' });
}

export async function isSymlink(path: string): Promise<boolean> {
  return fs.lstat(path).then((s) => s.isSymbolicLink(), () => false);
}

/**
 * Refuses anything that is not a regular file (FIFO, character or block device, socket, directory) before it is opened: reading
 * a FIFO would hang, and replacing a device with a file would break the system. Only stat() is used, never open().
 */
export async function requireRegularFile(path: string, what = 'file'): Promise<void> {
  let st;
  try {
    st = await fs.stat(path);
  } catch {
    return; // missing: the caller reports that in its own words
  }
  if (st.isFile()) return;
  const kind = st.isFIFO() ? 'a FIFO (named pipe)' : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : st.isSocket() ? 'a socket' : st.isDirectory() ? 'a directory' : 'not a regular file';
  throw new WizardError('BAD_INPUT', `${path} is ${kind}, not a regular ${what}; the wizard reads and edits regular files only and left it alone.`, { hint: 'Pass the path of the real file (a symlink to it is fine).' });
}

/** Mode for a file that will hold a password: no wider than owner read-write and group read (0640), never world-readable. */
export const secretMode = (mode: number) => mode & 0o640;

/** Copies `path` to `path.synapse-pg-<timestamp>.bak` with the same owner and the mode without "other" bits (backups may hold passwords). */
export async function backupFile(path: string): Promise<string> {
  await requireRegularFile(path);
  const st = await fs.stat(path);
  let backup = `${path}.synapse-pg-${timestamp()}.bak`;
  for (let i = 1; await exists(backup); i++) backup = `${path}.synapse-pg-${timestamp()}-${i}.bak`;
  await fs.copyFile(path, backup, constants.COPYFILE_EXCL);
  await fs.chmod(backup, st.mode & 0o7770);
  await chownQuiet(backup, st.uid, st.gid);
  return backup;
}

/**
 * Writes through a temp file in the same directory, fsyncs, keeps mode/owner, then renames over the target. A symlink is
 * followed and its target written (the link is kept); anything but a regular file is refused. Content that holds a registered
 * secret (the database password) is written no wider than 0640.
 */
export async function writeFileAtomic(linkPath: string, content: string | Buffer, opts: WriteOptions = {}): Promise<void> {
  const path = await resolveTarget(linkPath);
  await requireRegularFile(path);
  let st: { mode: number; uid: number; gid: number } | undefined;
  try {
    st = await fs.stat(path);
  } catch {
    st = undefined;
  }
  const wanted = opts.forceMode && opts.mode !== undefined ? opts.mode : st ? st.mode & 0o7777 : opts.mode ?? 0o600;
  const text = typeof content === 'string' ? content : content.toString('utf8');
  const mode = holdsSecret(text) ? secretMode(wanted) : wanted;
  const uid = opts.uid ?? st?.uid;
  const gid = opts.gid ?? st?.gid;
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(tmp, 'wx', 0o600);
    await fh.writeFile(content);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await fs.chmod(tmp, mode);
    if (uid !== undefined && gid !== undefined) await chownQuiet(tmp, uid, gid);
    await fs.rename(tmp, path);
    await fsyncDir(dirname(path));
  } catch (e) {
    await fh?.close().catch(() => undefined);
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    const code = (e as NodeJS.ErrnoException).code;
    throw new WizardError('EXEC', `Could not write ${path}: ${(e as Error).message}`, {
      cause: e,
      hint: code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? `Run the wizard as a user who may write ${dirname(path)} (usually root).` : undefined,
    });
  }
}

/** Backup + atomic write in one; returns the backup path (undefined when the file did not exist). */
export async function editFile(linkPath: string, content: string, opts: WriteOptions = {}): Promise<string | undefined> {
  const path = await resolveTarget(linkPath);
  const backup = (await exists(path)) ? await backupFile(path) : undefined;
  await writeFileAtomic(path, content, opts);
  return backup;
}

/** Puts a backup back in place atomically (the backup itself is kept). */
export async function restoreBackup(backup: string, path: string): Promise<void> {
  await writeFileAtomic(path, await fs.readFile(backup));
}

/** A file's text (UTF-8). */
export async function readText(path: string): Promise<string> {
  return fs.readFile(path, 'utf8');
}

/** A file's text, or '' when it cannot be read (missing, no permission). */
export async function readTextOrEmpty(path: string): Promise<string> {
  return fs.readFile(path, 'utf8').catch(() => '');
}

/** Mode (permission bits), owner and group of a file. */
export async function fileOwnership(path: string): Promise<{ mode: number; uid: number; gid: number }> {
  const st = await fs.stat(path);
  return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
}

/** A file's text, or undefined when it does not exist or cannot be read. */
export async function readTextOrUndefined(path: string): Promise<string | undefined> {
  return fs.readFile(path, 'utf8').catch(() => undefined);
}

/** A file's bytes, as they are. */
export async function readBytes(path: string): Promise<Buffer> {
  return fs.readFile(path);
}

/** A directory of the wizard's own (state, journal), made with its parents when missing. */
export async function ensureDir(dir: string, mode = 0o700): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode });
}

/** Removes a file the wizard made (a snapshot, a merged config); no error when it is already gone. */
export async function removeFile(path: string): Promise<void> {
  await fs.rm(path, { force: true });
}

/** rename(2): atomic within one file system. */
export async function renameFile(from: string, to: string): Promise<void> {
  await fs.rename(from, to);
}

/** Gives `path` the mode, owner and group of another file (the owner where this process may). */
export async function copyOwnership(path: string, o: { mode: number; uid: number; gid: number }): Promise<void> {
  await fs.chmod(path, o.mode);
  await chownQuiet(path, o.uid, o.gid);
}

/** Names in a directory ([] when it cannot be read). */
export async function listDir(dir: string): Promise<string[]> {
  return fs.readdir(dir).catch(() => []);
}

/** Bytes free for an unprivileged writer on the file system holding `path`; undefined when it cannot be asked. */
export async function freeBytes(path: string): Promise<number | undefined> {
  try {
    const s = await fs.statfs(path);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

/** Why this process may not read `path` (ENOENT, EACCES...), or undefined when it may. */
export async function unreadableBecause(path: string): Promise<string | undefined> {
  try {
    await fs.access(path, constants.R_OK);
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await fs.access(path);
    return true;
  } catch {
    return false;
  }
}

/** True when this process may write the file (or create it in its directory). */
export async function canWrite(path: string): Promise<boolean> {
  try {
    await fs.access(path, constants.W_OK);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return false;
  }
  try {
    await fs.access(dirname(path), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

async function chownQuiet(path: string, uid: number, gid: number): Promise<void> {
  try {
    await fs.chown(path, uid, gid);
  } catch (e) {
    // Only root may give files away; a non-root admin editing their own file keeps their own ownership anyway.
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r').catch(() => undefined);
  if (!fh) return;
  await fh.sync().catch(() => undefined);
  await fh.close();
}
