import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { errors } from '../errors.js';
import { processAlive } from '../processes.js';

const running = new Map<string, Promise<unknown>>();

/**
 * Runs `pull` once per target at a time. Callers in this process that ask for the same target
 * while it runs share its promise (a burst of first requests makes one download, not one each);
 * another process (`argus models pull` beside a server pulling on first use) is refused, because
 * two writers appending to one `.partial` would make a file that never verifies. A lock left by
 * a dead process is taken over, as the data-directory lock does.
 */
export function withPullLock<T>(alias: string, target: string, pull: () => Promise<T>): Promise<T> {
  const pending = running.get(target);
  if (pending) return pending as Promise<T>;
  const task = (async () => {
    const release = lock(alias, `${target}.pull-lock`);
    try {
      return await pull();
    } finally {
      release();
    }
  })();
  running.set(target, task);
  const forget = () => running.delete(target);
  task.then(forget, forget);
  return task;
}

function lock(alias: string, file: string): () => void {
  mkdirSync(dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(file, 'utf8').trim());
      if (holder && holder !== process.pid && processAlive(holder)) {
        throw errors.pullFailed(alias, `another Argus process (pid ${holder}) is pulling it now; wait for that pull to finish`);
      }
      rmSync(file, { force: true });
    }
  }
  throw new Error(`could not take the pull lock ${file}`);
}
