// The wizard's start-up: time to the first line of `status --json --dry-run`, and to the full-screen menu's first paint in tmux.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from './median.js';
import { MAIN } from './wizard.js';


/** Spawn until the first byte on stdout. */
function firstOutputMs(args: string[], cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, HOME: cwd, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'ignore'] });
    let ms: number | undefined;
    child.stdout.once('data', () => (ms = Number(process.hrtime.bigint() - t0) / 1e6));
    child.on('error', reject);
    child.on('close', () => (ms === undefined ? reject(new Error(`no output from ${args.join(' ')}`)) : resolve(ms)));
  });
}

const MENU = 'What do you want to do?';

/** tmux new-session until capture-pane shows the main menu's question (`command` prints it: the wizard, or printf for the floor). */
async function firstPaintMs(cwd: string, command: string): Promise<number> {
  const socket = `spgw-bench-${process.pid}`;
  const tmux = (...a: string[]) => execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...a], { encoding: 'utf8' });
  try {
    const t0 = process.hrtime.bigint();
    tmux('new-session', '-d', '-s', 'menu', '-x', '120', '-y', '40', '-c', cwd, '-e', `HOME=${cwd}`, '-e', 'TERM=xterm-256color', '-e', 'NCURSES_NO_UTF8_ACS=1', command);
    for (;;) {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (tmux('capture-pane', '-p', '-t', 'menu').includes(MENU)) return ms;
      if (ms > 10_000) throw new Error('the full-screen menu did not appear within 10 s');
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    try {
      tmux('kill-server');
    } catch {
      /* already gone */
    }
    rmSync(join(`/tmp/tmux-${process.getuid?.() ?? 0}`, socket), { force: true });
  }
}

export interface StartupResult {
  /** The floor: node printing one byte and exiting, on this machine, now. */
  bareNodeMs: number;
  firstOutputMs: number;
  firstOutputRuns: number[];
  menuPaintMs?: number;
  menuPaintRuns: number[];
  /** The floor: tmux starting a shell that prints the same question. */
  bareTmuxMs?: number;
}

export async function timeStartup(runs: number, log: (m: string) => void): Promise<StartupResult> {
  const cwd = mkdtempSync(join(tmpdir(), 'spgw-bench-startup-'));
  try {
    const bare: number[] = [];
    const out: number[] = [];
    for (let i = 0; i < runs; i++) {
      bare.push(await firstOutputMs(['-e', 'process.stdout.write("x")'], cwd));
      out.push(await firstOutputMs([MAIN, 'status', '--json', '--dry-run'], cwd));
    }
    const paint: number[] = [];
    const floor: number[] = [];
    for (let i = 0; i < runs; i++) {
      try {
        floor.push(await firstPaintMs(cwd, `printf '${MENU}\\n'; sleep 5`));
        paint.push(await firstPaintMs(cwd, `${process.execPath} ${MAIN}`));
      } catch (e) {
        log(`  full-screen first paint not measured: ${(e as Error).message}`);
        break;
      }
    }
    return { bareNodeMs: median(bare), firstOutputMs: median(out), firstOutputRuns: out, menuPaintMs: paint.length ? median(paint) : undefined, menuPaintRuns: paint, bareTmuxMs: floor.length ? median(floor) : undefined };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}
