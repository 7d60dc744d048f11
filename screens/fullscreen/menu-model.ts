// The main menu's items and the lines describing what was detected; shared by the full-screen and the plain menu.
import type { Detection, MenuCommand } from '../../src/status/detect.js';
import { recommend } from '../../src/status/detect.js';

export interface MenuItem {
  command: MenuCommand;
  /** Its shortcut: the same letter whatever was detected. */
  key: string;
  label: string;
  description: string;
  suggested?: string;
}

const ITEMS: MenuItem[] = [
  { command: 'setup', key: 's', label: 'First-time setup', description: 'Create the PostgreSQL role and database Synapse needs, allow its login in pg_hba.conf, and write the database: section.' },
  { command: 'cutover', key: 'c', label: 'Cutover from SQLite', description: 'Port the SQLite database with synapse_port_db and switch Synapse over, with a short, estimated downtime.' },
  { command: 'doctor', key: 'd', label: 'Troubleshooting', description: 'Diagnose known failures (login refused, wrong locale, stuck port) and fix them.' },
  { command: 'maintain', key: 'm', label: 'Maintenance', description: 'Size report, backup, vacuum, purge old history, compress state.' },
  { command: 'status', key: 't', label: 'Status', description: 'Where things stand: config, database, Synapse, an unfinished cutover.' },
  { command: 'sandbox', key: 'p', label: 'Sandbox', description: 'A practice homeserver to rehearse the cutover on (root, Debian).' },
];

/** Commands that take an action word; the menu asks for it (maintain's tasks come from src/maintain/flows.ts). */
export const SUBCOMMANDS: Partial<Record<MenuCommand, { value: string; label: string; hint?: string }[]>> = {
  sandbox: [
    { value: 'status', label: 'Show the practice homeserver' },
    { value: 'up', label: 'Create and start it', hint: 'root, Debian; downloads Synapse into a chroot' },
    { value: 'down', label: 'Stop and remove it' },
  ],
};

export function itemLabel(command: MenuCommand): string {
  return ITEMS.find((i) => i.command === command)?.label ?? command;
}

/** The items, always in the same order (so their places and letters never change), the sensible choice marked. */
export function menuItems(d: Detection | undefined): MenuItem[] {
  const r = d && recommend(d);
  return ITEMS.map((i) => (i.command === r?.command ? { ...i, suggested: r.reason } : { ...i }));
}

export type Tone = 'good' | 'bad' | 'warn' | 'plain';

/** What the menu shows it found, as [label, text, tone] rows. */
export function detectionLines(d: Detection): [string, string, Tone][] {
  const rows: [string, string, Tone][] = [];
  const c = d.config;
  if (!c) rows.push(['Config', 'no Synapse config found (use -c PATH)', 'warn']);
  else if ('error' in c) rows.push(['Config', c.error, 'bad']);
  else rows.push(['Config', `${c.paths.join(', ')}${c.databaseFile ? `; database: is in ${c.databaseFile}` : '; no file sets database:'}`, 'good']);
  const db = d.database;
  if (!db) rows.push(['Database', c && !('error' in c) ? 'none configured' : 'unknown', 'plain']);
  else if (db.engine === 'sqlite') rows.push(['Database', `SQLite ${db.path ?? '(path not set)'}`, 'warn']);
  else if (db.engine === 'postgres') rows.push(['Database', `PostgreSQL ${db.dbname}@${db.host}:${db.port}${db.user ? ` as ${db.user}` : ''}`, 'good']);
  else rows.push(['Database', `engine ${db.name}`, 'bad']);
  rows.push(['Synapse', `${d.synapse.running ? 'running' : 'not running'} (${d.synapse.evidence})`, d.synapse.running ? 'good' : 'plain']);
  rows.push(['PostgreSQL', `${d.postgres.reachable ? 'reachable' : 'not reachable'} at ${d.postgres.where} (${d.postgres.evidence})`, d.postgres.reachable ? 'good' : 'bad']);
  rows.push(['Cutover', d.cutover ? `unfinished, phase ${d.cutover.phase} (${d.cutover.journal})` : 'none in progress', d.cutover ? 'warn' : 'plain']);
  return rows;
}
