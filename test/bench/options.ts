// The bench's knobs: traffic size and where the cache lives, from flags (--messages 20000) or env (BENCH_MESSAGES=20000).
import { parseArgs } from 'node:util';

export interface BenchOptions {
  users: number;
  rooms: number;
  messages: number;
  /** Requests in flight while seeding: Synapse on SQLite has one writer, but pipelining hides the HTTP round trips. */
  concurrency: number;
  /** Cached homeservers and results-<timestamp>.json. */
  cacheDir: string;
  chrootDir: string;
  /** Rebuild the cached homeserver even when one with these parameters exists. */
  reseed: boolean;
  /** Only build (or find) the cached homeserver. */
  seedOnly: boolean;
  /** Rounds of (manual, wizard) on fresh copies, alternating which goes first; medians are reported. */
  rounds: number;
  /** Runs of `status --json --dry-run` for the start-up time (the median is reported). */
  startupRuns: number;
  /** Megolm sessions put into server-side key backup through the client API (e2e_room_keys rows: a table synapse_port_db copies again in full in phase 2). */
  keyBackup: number;
  /** > 0: instead of the rounds, the manual procedure and both engines with PostgreSQL behind a proxy that delays each direction by this much. */
  latencyMs: number;
}

const NUMBERS = { users: 10, rooms: 20, messages: 10_000, 'key-backup': 1_000_000, concurrency: 8, rounds: 1, 'startup-runs': 7 } as const;

export const USAGE = `npm run bench [-- FLAGS]   (each flag also as an env var: --messages N = BENCH_MESSAGES=N)
  --users N          users, all joined to every room (default ${NUMBERS.users})
  --rooms N          rooms (default ${NUMBERS.rooms})
  --messages N       messages sent through the client-server API (default ${NUMBERS.messages})
  --key-backup N     Megolm sessions uploaded to server-side key backup (PUT /room_keys/keys in batches; default ${NUMBERS['key-backup']})
  --concurrency N    requests in flight while seeding (default ${NUMBERS.concurrency})
  --rounds N         rounds of (manual, wizard), alternating which goes first; medians reported (default ${NUMBERS.rounds})
  --startup-runs N   runs of the start-up measurement (default ${NUMBERS['startup-runs']})
  --cache-dir DIR    cached homeservers and results (default /var/cache/synapse-pg/bench)
  --reseed           build the homeserver again even when it is cached
  --seed-only        only build (or find) the cached homeserver
  --latency-ms N     PostgreSQL "on another host": only the manual procedure and both engines (copy, port-db), each
                     through a TCP proxy that delays each direction by N ms; pair with a small homeserver, e.g.
                     --latency-ms 5 --messages 2000 --key-backup 20000`;

function envName(flag: string): string {
  return `BENCH_${flag.toUpperCase().replace(/-/g, '_')}`;
}

function positive(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} (${envName(name)}) must be a whole number above 0, not "${raw}"`);
  return n;
}

function latency(raw: string | undefined): number {
  if (raw === undefined || raw === '' || raw === '0') return 0;
  return positive('latency-ms', raw);
}

export function benchOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      users: { type: 'string' },
      rooms: { type: 'string' },
      messages: { type: 'string' },
      'key-backup': { type: 'string' },
      concurrency: { type: 'string' },
      rounds: { type: 'string' },
      'startup-runs': { type: 'string' },
      'cache-dir': { type: 'string' },
      reseed: { type: 'boolean' },
      'seed-only': { type: 'boolean' },
      'latency-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const num = (name: keyof typeof NUMBERS) => positive(name, values[name] ?? env[envName(name)] ?? String(NUMBERS[name]));
  const flag = (name: 'reseed' | 'seed-only') => values[name] ?? ['1', 'true', 'yes'].includes(env[envName(name)] ?? '');
  return {
    users: num('users'),
    rooms: num('rooms'),
    messages: num('messages'),
    keyBackup: num('key-backup'),
    concurrency: num('concurrency'),
    rounds: num('rounds'),
    startupRuns: num('startup-runs'),
    cacheDir: values['cache-dir'] ?? env.BENCH_CACHE_DIR ?? '/var/cache/synapse-pg/bench',
    chrootDir: env.SYNAPSE_CHROOT ?? '/var/cache/synapse-pg/synapse-sid',
    reseed: flag('reseed'),
    seedOnly: flag('seed-only'),
    latencyMs: latency(values['latency-ms'] ?? env[envName('latency-ms')]),
  };
}

/** Names the cached homeserver: the same traffic parameters and Synapse version find the same files. */
export function trafficKey(o: Pick<BenchOptions, 'users' | 'rooms' | 'messages' | 'keyBackup'>, synapseVersion: string): string {
  return `u${o.users}-r${o.rooms}-m${o.messages}-k${o.keyBackup}-synapse${synapseVersion.replace(/[^0-9a-z.]/gi, '')}`;
}
