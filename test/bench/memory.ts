// Peak resident memory of a running process: VmHWM from /proc/PID/status (GNU time is not installed by default), sampled until stop().
import { readFileSync } from 'node:fs';

function vmHwmBytes(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined; // exited
  }
}

/** VmHWM only grows, so the last reading before the exit is the peak, give or take the last interval. */
export function peakMemory(pid: number, everyMs = 50): { stop(): number | undefined } {
  let peak: number | undefined;
  const read = () => {
    const v = vmHwmBytes(pid);
    if (v !== undefined && (peak === undefined || v > peak)) peak = v;
  };
  read();
  const timer = setInterval(read, everyMs);
  return {
    stop() {
      clearInterval(timer);
      read();
      return peak;
    },
  };
}
