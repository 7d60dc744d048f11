// What the main menu shows before anything runs: config, database, Synapse, PostgreSQL, cutover journal. Fast, read-only, never throws.
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { processAlive } from '../adapters/process.js';
import { findConfigPaths } from '../config/discover.js';
import { loadConfig, sqliteDatabasePath, type LoadedConfig } from '../config/load.js';
import { journalPath, readJournal } from '../cutover/journal.js';
import { health } from '../synapse/client.js';
import { clientListener } from '../synapse/listener.js';

export interface DetectOptions {
  configPaths?: string[];
  cwd: string;
  home: string;
  env: NodeJS.ProcessEnv;
  /** Host and port to try for PostgreSQL when the config does not name them (the --db-host/--db-port flags). */
  pgHost?: string;
  pgPort?: string;
  /** Per network probe; the whole detection stays under about twice this. */
  timeoutMs?: number;
  /** Where this host reaches the client listener's port, when Synapse runs in a container (the port published for it). */
  clientUrl?: (port: number) => string | undefined;
}

export type DatabaseInUse =
  | { engine: 'sqlite'; path?: string }
  | { engine: 'postgres'; dbname: string; host: string; port: number; user?: string }
  | { engine: 'other'; name: string };

export interface Detection {
  config: { paths: string[]; databaseFile?: string; warnings: string[] } | { paths: []; error: string } | null;
  database?: DatabaseInUse;
  synapse: { running: boolean; evidence: string };
  postgres: { reachable: boolean; where: string; evidence: string };
  /** An unfinished cutover (phase1 or downtime) from <configDir>/.synapse-pg/cutover.json. */
  cutover?: { phase: string; journal: string };
}

export type MenuCommand = 'setup' | 'cutover' | 'doctor' | 'maintain' | 'status' | 'sandbox';

/** The sensible next thing to do, with the reason shown beside it. */
export function recommend(d: Detection): { command: MenuCommand; reason: string } {
  if (d.cutover) return { command: 'cutover', reason: `a cutover stopped in phase ${d.cutover.phase}: resume it or roll it back` };
  if (d.config && 'error' in d.config) return { command: 'doctor', reason: 'the Synapse config could not be read' };
  if (d.database?.engine === 'postgres') {
    if (!d.postgres.reachable) return { command: 'doctor', reason: 'Synapse is configured for PostgreSQL, but PostgreSQL does not answer' };
    return d.synapse.running ? { command: 'status', reason: 'Synapse already runs on PostgreSQL' } : { command: 'doctor', reason: 'Synapse is configured for PostgreSQL but is not running' };
  }
  return { command: 'setup', reason: d.database?.engine === 'sqlite' ? 'prepare PostgreSQL first, then cut over from SQLite' : 'prepare PostgreSQL for Synapse' };
}

export async function detect(opts: DetectOptions): Promise<Detection> {
  const timeoutMs = opts.timeoutMs ?? 700;
  let loaded: LoadedConfig | undefined;
  let config: Detection['config'] = null;
  try {
    const paths = await findConfigPaths(opts.configPaths, { cwd: opts.cwd, home: opts.home });
    if (paths) {
      loaded = await loadConfig(paths);
      config = { paths, databaseFile: loaded.databaseFile?.path, warnings: loaded.warnings };
    }
  } catch (e) {
    config = { paths: [], error: e instanceof Error ? e.message : String(e) };
  }
  const database = loaded ? databaseInUse(loaded) : undefined;
  const pgTarget = postgresTarget(database, opts);
  const [synapse, postgres, cutover] = await Promise.all([
    synapseRunning(loaded, timeoutMs, opts.clientUrl).catch((e) => ({ running: false, evidence: String(e) })),
    postgresReachable(pgTarget.host, pgTarget.port, timeoutMs),
    loaded ? unfinishedCutover(dirname(loaded.files[0]?.path ?? opts.cwd)) : Promise.resolve(undefined),
  ]);
  return { config, database, synapse, postgres, cutover };
}

function databaseInUse(loaded: LoadedConfig): DatabaseInUse | undefined {
  const db = loaded.database;
  const name = db ? String(db.name ?? 'sqlite3') : loaded.merged.database_path ? 'sqlite3' : undefined;
  if (name === undefined) return undefined;
  if (name === 'sqlite3') return { engine: 'sqlite', path: sqliteDatabasePath(loaded) };
  if (name === 'psycopg2') {
    const a = (db?.args ?? {}) as Record<string, unknown>;
    return { engine: 'postgres', dbname: String(a.dbname ?? a.database ?? '?'), host: String(a.host ?? 'localhost'), port: Number(a.port ?? 5432), user: a.user === undefined ? undefined : String(a.user) };
  }
  return { engine: 'other', name };
}

function postgresTarget(db: DatabaseInUse | undefined, opts: DetectOptions): { host: string; port: number } {
  if (db?.engine === 'postgres') return { host: db.host, port: db.port };
  const port = Number(opts.pgPort ?? opts.env.PGPORT ?? 5432);
  return { host: opts.pgHost ?? opts.env.PGHOST ?? 'localhost', port: Number.isInteger(port) && port > 0 && port < 65536 ? port : 5432 };
}

/** Like pg_isready: connect and send an SSLRequest; a PostgreSQL server answers 'S' or 'N'. */
export function postgresReachable(host: string, port: number, timeoutMs: number): Promise<Detection['postgres']> {
  const where = host.startsWith('/') ? `${host}/.s.PGSQL.${port}` : `${host}:${port}`;
  return new Promise((resolve) => {
    const sock = host.startsWith('/') ? connect({ path: `${host}/.s.PGSQL.${port}` }) : connect({ host, port });
    const done = (reachable: boolean, evidence: string) => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ reachable, where, evidence });
    };
    const timer = setTimeout(() => done(false, `no answer within ${timeoutMs} ms`), timeoutMs);
    sock.once('connect', () => sock.write(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])));
    sock.once('data', (b) => (b[0] === 0x53 || b[0] === 0x4e ? done(true, 'accepting connections') : done(false, 'something answers there, but not PostgreSQL')));
    sock.once('error', (e: NodeJS.ErrnoException) => done(false, e.code === 'ECONNREFUSED' || e.code === 'ENOENT' ? 'no server is listening' : (e.code ?? e.message)));
    sock.once('end', () => done(false, 'the connection was closed without an answer'));
  });
}

async function synapseRunning(loaded: LoadedConfig | undefined, timeoutMs: number, clientUrl?: DetectOptions['clientUrl']): Promise<Detection['synapse']> {
  if (!loaded) return { running: false, evidence: 'no config to find its pid file or listener' };
  const pidFile = loaded.merged.pid_file;
  if (typeof pidFile === 'string') {
    const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) return { running: true, evidence: `pid ${pid} from ${pidFile} is alive` };
  }
  const port = clientListener(loaded.merged, { orFirst: true })?.port;
  const published = port !== undefined && clientUrl ? clientUrl(port) : undefined;
  if (port !== undefined && clientUrl) {
    if (published && (await health(published, { timeoutMs }))) return { running: true, evidence: `its container's port ${port}, published as ${published}, answers /health` };
    return { running: false, evidence: published ? `nothing answers /health on ${published} (its container's port ${port})` : `its container publishes no host port for its listener's port ${port}` };
  }
  if (port !== undefined) {
    if (await health(`http://127.0.0.1:${port}`, { timeoutMs })) return { running: true, evidence: `its listener on port ${port} answers /health` };
    return { running: false, evidence: `${typeof pidFile === 'string' ? `no live process in ${pidFile}; ` : ''}nothing answers /health on port ${port}` };
  }
  return { running: false, evidence: typeof pidFile === 'string' ? `no live process in ${pidFile}` : 'no pid_file or HTTP listener in the config' };
}

/** The cutover journal's phase; anything but phase1/downtime (or no journal) means nothing is unfinished. */
async function unfinishedCutover(configDir: string): Promise<Detection['cutover']> {
  const journal = journalPath(configDir);
  const j = await readJournal(journal).catch(() => undefined);
  return j && (j.phase === 'phase1' || j.phase === 'downtime') ? { phase: j.phase, journal } : undefined;
}
