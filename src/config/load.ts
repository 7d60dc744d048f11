// Reads and merges Synapse config files exactly as Synapse does (read_config_files: YAML 1.1, shallow top-level merge).
import { readFile, stat } from 'node:fs/promises';
import { requireRegularFile } from '../adapters/files.js';
import { isAbsolute, resolve } from 'node:path';
import { parseDocument, type Document, type YAMLError } from 'yaml';
import { WizardError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';

export interface ConfigFile {
  path: string;
  text: string;
  /** Top-level keys; {} for an empty file or one whose top level is not a mapping (Synapse ignores those). */
  data: Record<string, unknown>;
}

export interface DatabaseSection {
  name: string;
  args: Record<string, unknown>;
  [k: string]: unknown;
}

export interface LoadedConfig {
  files: ConfigFile[];
  /** Later top-level keys replace earlier ones (shallow), as Synapse does. */
  merged: Record<string, unknown>;
  /** The file whose top-level `database` wins in the merge. */
  databaseFile?: ConfigFile;
  /** merged.database when it is a mapping (passed through as written: `name` may be missing, Synapse then assumes sqlite3). */
  database?: DatabaseSection;
  /** Things Synapse would print or ignore: non-mapping files, the experimental `databases` key. */
  warnings: string[];
}

/** PyYAML (what Synapse uses) speaks YAML 1.1 and lets a repeated key win; parse the same way. */
export const YAML_OPTIONS = { version: '1.1', uniqueKeys: false, prettyErrors: true } as const;

export function parseYaml(text: string): Document.Parsed {
  return parseDocument(text, YAML_OPTIONS);
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Uint8Array);
}

/** "Missing closing 'quote at line 5, column 1:\n\n..." -> "Missing closing 'quote". */
function describe(err: YAMLError): string {
  const first = err.message.split('\n')[0];
  return first.replace(/ at line \d+, column \d+:?$/, '');
}

export function parseConfigText(path: string, text: string): ConfigFile {
  return parseChecked(path, text).file;
}

function parseChecked(path: string, text: string): { file: ConfigFile; mapping: boolean } {
  const doc = parseYaml(text);
  const err = doc.errors[0];
  if (err) {
    const pos = err.linePos?.[0] ?? { line: 1, col: 1 };
    throw new WizardError('CONFIG_PARSE', `${path}:${pos.line}:${pos.col}: ${describe(err)}`, {
      hint: `Fix the YAML at that spot (Synapse cannot start with it either):\n${err.message.split('\n').slice(1).join('\n').trim()}`,
      cause: err,
    });
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (e) {
    throw new WizardError('CONFIG_PARSE', `${path}: ${e instanceof Error ? e.message : String(e)}`, {
      hint: 'Check the anchors (&name) and aliases (*name) in this file.',
      cause: e,
    });
  }
  if (isMapping(value)) return { file: { path, text, data: value }, mapping: true };
  return { file: { path, text, data: {} }, mapping: false };
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

export async function loadConfig(paths: string[]): Promise<LoadedConfig> {
  const files: ConfigFile[] = [];
  const warnings: string[] = [];
  for (const path of paths) {
    let text: string;
    // a FIFO or a device given as the config is refused by stat(), never opened (reading a FIFO would hang)
    // (a directory is let through: reading it fails with EISDIR, whose hint says to pass it as a config directory)
    if (!(await isDirectory(path))) await requireRegularFile(path, 'Synapse config file');
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new WizardError(code === 'ENOENT' ? 'CONFIG_NOT_FOUND' : 'CONFIG_UNREADABLE', `${path}: cannot read (${code ?? String(e)})`, {
        hint: code === 'EISDIR'
          ? 'This is a directory: pass it as a config directory so its *.yaml files are read.'
          : 'Check the path and run the wizard as a user that can read the Synapse config (sudo).',
        cause: e,
      });
    }
    const { file, mapping } = parseChecked(path, text);
    if (!mapping) {
      warnings.push(`${path} is empty or doesn't parse into a key-value map: Synapse ignores it.`);
    }
    files.push(file);
  }
  const loaded = mergeConfigFiles(files, warnings);
  registerConfigSecrets(loaded.merged);
  return loaded;
}

/** Keys whose values are secrets in a Synapse config (registration_shared_secret, macaroon_secret_key, form_secret, smtp_pass, OIDC client_secret...). */
const SECRET_KEY = /secret|password|passwd|smtp_pass|private_key|api_key|access_token/i;
const PATH_KEY = /_(path|file)$/i;

/** Every secret the config holds is redacted from what the wizard prints (a config diff in a plan shows the whole file). */
function registerConfigSecrets(value: unknown, key = ''): void {
  if (typeof value === 'string') {
    if (SECRET_KEY.test(key) && !PATH_KEY.test(key)) registerSecret(value);
  } else if (Array.isArray(value)) {
    for (const v of value) registerConfigSecrets(v, key);
  } else if (value && typeof value === 'object' && !(value instanceof Date)) {
    for (const [k, v] of Object.entries(value)) registerConfigSecrets(v, k);
  }
}

/** Shallow merge, later files win (dict.update in read_config_files). */
export function mergeConfigFiles(files: ConfigFile[], warnings: string[] = []): LoadedConfig {
  const merged: Record<string, unknown> = {};
  let databaseFile: ConfigFile | undefined;
  for (const file of files) {
    Object.assign(merged, file.data);
    if (Object.hasOwn(file.data, 'database')) databaseFile = file;
  }
  if (merged.databases !== undefined && merged.databases !== null) {
    warnings.push('The config uses the experimental `databases` key (several databases); the wizard only moves a single `database`.');
  }
  const database = isMapping(merged.database) ? (merged.database as DatabaseSection) : undefined;
  return { files, merged, databaseFile, database, warnings };
}

/**
 * Absolute path of the SQLite file, or undefined when the database is not sqlite3 (or is ":memory:").
 * Relative paths resolve against `cwd`, default process.cwd(): Synapse hands `database.args.database`
 * to sqlite3.connect() as written, so it is relative to the Synapse process's working directory
 * (for the Debian unit that is WorkingDirectory=/var/lib/matrix-synapse; callers that know it pass it).
 * The legacy top-level `database_path` overrides a sqlite3 section, as in synapse/config/database.py.
 * With no database config at all Synapse 1.160 refuses to start ("No database config provided").
 */
export function sqliteDatabasePath(loaded: LoadedConfig, cwd: string = process.cwd()): string | undefined {
  const db = loaded.database;
  const engine = db ? (db.name ?? 'sqlite3') : undefined;
  const legacy = loaded.merged.database_path;
  let file: unknown;
  if (typeof legacy === 'string' && legacy !== '' && (engine === undefined || engine === 'sqlite3')) file = legacy;
  else if (engine === 'sqlite3') file = isMapping(db?.args) ? db.args.database : undefined;
  if (typeof file !== 'string' || file === '' || file === ':memory:') return undefined;
  return isAbsolute(file) ? file : resolve(cwd, file);
}

/** The connection values of a psycopg2 `database:` section, as libpq keys (each undefined where the config leaves it out); undefined when Synapse is not on PostgreSQL. */
export function postgresConnection(loaded: LoadedConfig | null | undefined): { host?: string; port?: number; user?: string; password?: string; dbname?: string } | undefined {
  const db = loaded?.database;
  if (db?.name !== 'psycopg2') return undefined;
  const a = (isMapping(db.args) ? db.args : {}) as Record<string, unknown>;
  const str = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
  const port = str(a.port);
  return { host: str(a.host), port: port === undefined ? undefined : Number(port), user: str(a.user), password: str(a.password), dbname: str(a.dbname ?? a.database) };
}
