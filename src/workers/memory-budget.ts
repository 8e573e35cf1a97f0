import type { Logger } from 'pino';
import { errors } from '../errors.js';
import { mb } from './memory.js';
import type { ModelPool } from './pool.js';
import type { WorkerProcess } from './process.js';

export interface MemoryBudgetOptions {
  /** Memory all model workers may use together, in bytes. */
  budgetBytes: number;
  /** Longest a required load waits for memory before its requests get 503. */
  waitMs: number;
  /** Every pool, for measuring and choosing what to evict. */
  pools: () => ModelPool[];
  log?: Logger;
  onEvict?: (info: { alias: string; pid?: number; rss_mb: number; for: string }) => void;
}

/**
 * Admits a worker spawn only within the memory budget, measured from the workers' real RSS (plus
 * what spawns under way have reserved). To make room it stops the least recently used idle worker
 * of another, unpinned model; a busy worker is never evicted. A required load that still does not
 * fit waits (bounded) for memory to free, then fails with 503 + Retry-After.
 */
export class MemoryBudget {
  private reserved = 0;
  private waiters = new Set<() => void>();

  constructor(private readonly options: MemoryBudgetOptions) {}

  get budgetBytes(): number {
    return this.options.budgetBytes;
  }

  /** Bytes the workers use now, plus reservations of spawns in progress. */
  usedBytes(): number {
    return this.options.pools().reduce((sum, p) => sum + p.rssBytes(), 0) + this.reserved;
  }

  /** Wakes loads waiting for memory (a worker exited, a request finished). */
  notify(): void {
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  private waitForChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const waiters = this.waiters;
      function done() {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      }
      waiters.add(done);
    });
  }

  /** The least recently used idle worker that may be evicted to make room for `requester`. */
  private victim(requester: ModelPool): { pool: ModelPool; worker: WorkerProcess } | undefined {
    let best: { pool: ModelPool; worker: WorkerProcess } | undefined;
    for (const pool of this.options.pools()) {
      if (pool === requester || pool.pinned || pool.queued > 0) continue;
      const worker = pool.idleWorkers()[0];
      if (worker && (!best || worker.lastUsedAt < best.worker.lastUsedAt)) best = { pool, worker };
    }
    return best;
  }

  readonly admit = async (pool: ModelPool, optional: boolean): Promise<(() => void) | undefined> => {
    const need = pool.expectedWorkerBytes();
    const budget = this.options.budgetBytes;
    if (need > budget) {
      if (optional) return undefined;
      throw errors.modelUnavailable(pool.alias, `one worker needs about ${mb(need)} MiB and the memory budget is ${mb(budget)} MiB (raise ARGUS_MEMORY_BUDGET_MB).`);
    }
    const deadline = Date.now() + this.options.waitMs;
    for (;;) {
      if (this.usedBytes() + need <= budget) {
        this.reserved += need;
        let released = false;
        return () => {
          if (released) return;
          released = true;
          this.reserved -= need;
          this.notify();
        };
      }
      const victim = this.victim(pool);
      if (victim) {
        const rss = mb(victim.pool.rssBytes() / Math.max(1, victim.pool.workerList().length));
        this.options.log?.info({ evicted: victim.pool.alias, pid: victim.worker.pid, rss_mb: rss, for: pool.alias }, `evicting idle model ${victim.pool.alias} to make room for ${pool.alias}`);
        this.options.onEvict?.({ alias: victim.pool.alias, pid: victim.worker.pid, rss_mb: rss, for: pool.alias });
        await victim.pool.stopWorker(victim.worker, `evicted for ${pool.alias}`);
        continue;
      }
      if (optional) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw errors.overloaded(
          `Not enough memory to load model '${pool.alias}': it needs about ${mb(need)} MiB and ${mb(this.usedBytes())} of ${mb(budget)} MiB are held by busy or pinned models.`,
          5,
        );
      }
      await this.waitForChange(Math.min(left, 250));
    }
  };
}
