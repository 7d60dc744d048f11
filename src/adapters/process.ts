// Whether a process id is alive (signal 0), for pid files and lock files: EPERM means it runs as another user.

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
