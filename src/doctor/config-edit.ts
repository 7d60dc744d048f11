// Edits of the database: section (peer -> TCP, keepalives, allow_unsafe_locale) through setDatabaseSection: no other byte changes.
import { promises as fs } from 'node:fs';
import { editFile } from '../adapters/files.js';
import { setDatabaseSection, type DatabaseSection } from '../config/database-block.js';
import { loadConfig } from '../config/load.js';
import { unifiedDiff } from '../core/diff.js';
import { WizardError } from '../core/errors.js';
import type { PlannedAction } from '../core/events.js';
import type { DoctorContext } from './context.js';

export interface DatabaseEdit {
  path: string;
  oldText: string;
  newText: string;
  action: PlannedAction;
}

export function planDatabaseEdit(ctx: DoctorContext, change: (db: DatabaseSection) => DatabaseSection): DatabaseEdit | undefined {
  const file = ctx.config?.databaseFile;
  const db = ctx.config?.database;
  if (!file || !db) return undefined;
  const newText = setDatabaseSection(file.text, change(structuredClone(db)));
  return { path: file.path, oldText: file.text, newText, action: { kind: 'file', path: file.path, diff: unifiedDiff(file.text, newText, file.path) } };
}

/** Writes the edit (a backup is kept) and reloads the config into the context. */
export async function applyDatabaseEdit(ctx: DoctorContext, edit: DatabaseEdit): Promise<string> {
  const now = await fs.readFile(edit.path, 'utf8');
  if (now !== edit.oldText) throw new WizardError('CONFIG_CONFLICT', `${edit.path} changed while the doctor was running; nothing was written.`, { hint: 'Run the doctor again.' });
  const backup = await editFile(edit.path, edit.newText);
  await reloadConfig(ctx);
  return `Edited the database: section of ${edit.path}${backup ? ` (backup ${backup})` : ''}.`;
}

export async function reloadConfig(ctx: DoctorContext): Promise<void> {
  if (!ctx.config) return;
  ctx.config = await loadConfig(ctx.config.files.map((f) => f.path));
  ctx.setup.config = ctx.config;
  const a = (ctx.config.database?.args ?? {}) as Record<string, unknown>;
  ctx.target.host = a.host === undefined ? '' : String(a.host);
  ctx.setup.opts.dbHost = ctx.target.host || 'localhost';
}
