/**
 * Child processes a benchmark starts (the server, raw-model workers), and what to tidy at exit.
 * A benchmark that dies or is interrupted must not leave a server holding a port and two cores
 * behind, or its numbers would poison the next run: everything tracked here is killed on normal
 * exit, on an uncaught error and on Ctrl-C.
 */
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();
const exitTasks: Array<() => void> = [];
let installed = false;

/** Registers a child so that it is killed if the benchmark exits before stopping it. */
export function track<T extends ChildProcess>(child: T): T {
  installHandlers();
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Runs `task` (synchronous: it runs inside the process's `exit` event) when the benchmark exits. */
export function atExit(task: () => void): void {
  installHandlers();
  exitTasks.push(task);
}

/** Whether the child has exited (or was never started). */
export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Sends SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (hasExited(child)) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill('SIGTERM');
  });
}

function killAllNow(): void {
  for (const child of live) {
    if (!hasExited(child)) child.kill('SIGKILL');
  }
  for (const task of exitTasks.splice(0)) {
    try {
      task();
    } catch {
      // Best effort: the process is exiting and has nothing better to do with the error.
    }
  }
}

function installHandlers(): void {
  if (installed) return;
  installed = true;
  // `exit` handlers must be synchronous: SIGKILL is, and the server's workers follow it (they exit
  // when their parent's IPC channel closes).
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping child processes\n`);
      // Give the server its graceful shutdown (it stops its workers), then force what is left.
      void Promise.all([...live].map((child) => stopChild(child, 3_000))).finally(() => process.exit(130));
    });
  }
}
