// The cutover's journal beside the config: which steps finished, so a rerun continues from the first unfinished one.
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../adapters/files.js';
import { WizardError } from '../core/errors.js';

export type JournalPhase = 'phase1' | 'downtime' | 'done' | 'rolled-back';

export interface Journal {
  version: 1;
  startedAt: string;
  phase: JournalPhase;
  steps: Record<string, { finishedAt: string; data?: unknown }>;
  /** The database this cutover ports into (a rerun against another one starts over). */
  target?: { host: string; port: number; dbName: string; dbUser: string };
  /** Set once Synapse answered /health on PostgreSQL: from then on nothing rolls back silently. */
  servedOnPostgresAt?: string;
  /** When Synapse was stopped for phase 2, and what the wizard estimated the downtime to be. */
  downtimeStartedAt?: string;
  estimatedDowntimeMs?: number;
  measuredDowntimeMs?: number;
  /** Why the last attempt was rolled back. */
  rollbackReason?: string;
  /**
   * The copy engine's record of what PostgreSQL holds for each table it replaces (a digest of the rows it loaded), so that a
   * later run copies only tables whose content changed. synapse_port_db's own runs clear it.
   */
  copyDigests?: Record<string, string>;
}

export function journalPath(configDir: string): string {
  return join(configDir, '.synapse-pg', 'cutover.json');
}

export async function readJournal(path: string): Promise<Journal | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new WizardError('CONFIG_UNREADABLE', `Cannot read the cutover journal ${path}: ${(e as Error).message}`, { cause: e, hint: 'Run the wizard as the user who started the cutover (usually root).' });
  }
  try {
    const j = JSON.parse(text) as Journal;
    if (j.version !== 1 || typeof j.steps !== 'object' || !j.phase) throw new WizardError('CONFIG_PARSE', 'not a version 1 journal');
    return j;
  } catch (e) {
    throw new WizardError('CONFIG_PARSE', `${path} is not a cutover journal: ${(e as Error).message}`, {
      cause: e,
      hint: `Move it away (mv ${path} ${path}.broken) and run synapse-pg status to see where things stand before starting again.`,
    });
  }
}

export function newJournal(): Journal {
  return { version: 1, startedAt: new Date().toISOString(), phase: 'phase1', steps: {} };
}

/** Atomic write (temp file + fsync + rename): a SIGKILL leaves the old journal or the new one, never half of one. */
export async function writeJournal(path: string, journal: Journal): Promise<void> {
  await fs.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, JSON.stringify(journal, null, 2) + '\n', { mode: 0o600 });
}

/** Keeps an old journal for the record (after a rollback, a new attempt starts a fresh one). */
export async function archiveJournal(path: string): Promise<string> {
  const to = path.replace(/\.json$/, `-${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.json`);
  await fs.rename(path, to);
  return to;
}
