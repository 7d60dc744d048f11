// The built binary in a real tmux pane: start it with flags, send keys, read the screen (text or with its colours).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const MAIN = resolve('dist/screens/main.js');

export interface Pane {
  name: string;
  capture(): string;
  /** The screen with its SGR colour sequences (capture-pane -e). */
  captureColours(): string;
  /** The screen with the lines that scrolled off it. */
  history(): string;
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  keys(...keys: string[]): void;
  type(text: string): void;
  resize(cols: number, rows: number): void;
  state(): { alternate: boolean; cursor: boolean };
  kill(): void;
}

export interface Tmux {
  start(argv: string[], opts: { cols: number; rows: number; cwd: string; env?: Record<string, string>; stderrFile?: string }): Pane;
  stop(): void;
}

/** A tmux server of its own (socket name unique to the test file and process); stop() kills it. */
export function tmuxServer(tag: string): Tmux {
  const socket = `spgw-${tag}-${process.pid}`;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  try {
    execFileSync('tmux', ['-V']);
  } catch {
    assert.fail('tmux is missing: apt-get install tmux (.ci/install.sh installs it)');
  }
  // a session that outlives the panes: tmux exits with its last session, and a new one could race that exit
  tmux('new-session', '-d', '-s', 'keep', 'sleep 3600');
  let n = 0;
  return {
    start(argv, opts) {
      const name = `p${++n}`;
      const env = { TERM: 'xterm-256color', LANG: 'C.UTF-8', ...opts.env };
      const quoted = argv.map((a) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
      const command = `node ${MAIN} ${quoted}${opts.stderrFile ? ` 2>${opts.stderrFile}` : ''}; echo EXIT=$?; sleep 600`;
      tmux('new-session', '-d', '-s', name, '-x', String(opts.cols), '-y', String(opts.rows), '-c', opts.cwd, ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]), command);
      const capture = () => tmux('capture-pane', '-p', '-t', name);
      return {
        name,
        capture,
        captureColours: () => tmux('capture-pane', '-p', '-e', '-t', name),
        history: () => tmux('capture-pane', '-p', '-J', '-S', '-', '-t', name),
        async waitFor(re, timeoutMs = 30_000) {
          const until = Date.now() + timeoutMs;
          let last = '';
          while (Date.now() < until) {
            last = capture();
            if (re.test(last)) return last;
            await new Promise((r) => setTimeout(r, 100));
          }
          assert.fail(`timed out waiting for ${re} in:\n${last}`);
        },
        keys: (...keys) => void tmux('send-keys', '-t', name, ...keys),
        type: (text) => void tmux('send-keys', '-t', name, '-l', text),
        resize: (cols, rows) => void tmux('resize-window', '-t', name, '-x', String(cols), '-y', String(rows)),
        state() {
          const [alt, cur] = tmux('display-message', '-p', '-t', name, '#{alternate_on} #{cursor_flag}').trim().split(' ');
          return { alternate: alt === '1', cursor: cur === '1' };
        },
        kill: () => void tmux('kill-session', '-t', name),
      };
    },
    stop() {
      try {
        tmux('kill-server');
      } catch {
        // no server left
      }
      rmSync(join(`/tmp/tmux-${process.getuid?.() ?? 0}`, socket), { force: true });
    },
  };
}

/** Without box borders and with whitespace collapsed, for sentences that wrap in a box. */
export function flat(text: string): string {
  return text.replace(/[│┌┐└┘─]/g, ' ').replace(/\s+/g, ' ');
}

/** The screen with borders and every space removed: a path or sentence is found even when a box wrapped it anywhere. */
export function squash(text: string): string {
  return text.replace(/[│┌┐└┘─\s]/g, '');
}
