import type { Logger } from 'pino';
import type { ModelPool } from './pool.js';

/**
 * Unloads models that have sat idle longer than their TTL, so their memory goes back to the
 * machine. Pinned models and models with work running or waiting are left alone.
 */
export class IdleReaper {
  private timer?: NodeJS.Timeout;

  constructor(private readonly pools: () => ModelPool[], private readonly log?: Logger) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.sweep(), intervalMs);
    this.timer.unref();
  }

  async sweep(now = Date.now()): Promise<string[]> {
    const unloaded: string[] = [];
    for (const pool of this.pools()) {
      const ttlS = pool.options.idleTtlS;
      if (ttlS === 0 || pool.pinned || !pool.idle || pool.workerList().length === 0) continue;
      if (now - pool.lastUsedAt < ttlS * 1000) continue;
      const { stopped } = await pool.unload(`idle for ${ttlS} s`);
      if (stopped) {
        unloaded.push(pool.alias);
        this.log?.info({ model: pool.alias, idle_ttl_s: ttlS, workers: stopped }, `unloaded model ${pool.alias} after ${ttlS} s idle`);
      }
    }
    return unloaded;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
