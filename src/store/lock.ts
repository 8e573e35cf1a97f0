import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from '../processes.js';

const heldHere = new Set<string>();

/**
 * Takes the data directory for this process. Two servers on one embedded database would each
 * re-queue the other's running jobs; the lock makes that impossible. A lock left by a dead
 * process (kill -9) is taken over.
 */
export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'argus.lock');
  if (heldHere.has(file)) throw new Error(`the data directory ${dir} is already in use by this process`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      heldHere.add(file);
      return () => {
        heldHere.delete(file);
        rmSync(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(file, 'utf8').trim());
      // Our own pid in a lock we do not hold means a dead process whose pid was reused.
      if (holder && holder !== process.pid && processAlive(holder)) {
        throw new Error(`the data directory ${dir} is in use by another Argus process (pid ${holder}); give each server its own ARGUS_DATA_DIR, or use --queue/--db to share work`);
      }
      rmSync(file, { force: true });
    }
  }
  throw new Error(`could not lock the data directory ${dir}`);
}
