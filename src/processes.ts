/**
 * Whether a process with this pid exists. EPERM means it does but belongs to another user; only
 * ESRCH says it is gone. Used to take over locks and spools that a killed process left behind.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
