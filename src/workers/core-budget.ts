/**
 * The machine's cores as slots. A worker holds as many slots as it has threads while it runs a
 * request, so several models with several workers each still never run more threads at once than
 * there are cores: idle workers cost memory, not CPU.
 */
export class CoreBudget {
  private used = 0;
  private readonly listeners = new Set<() => void>();

  constructor(readonly cores: number) {}

  /** Takes `n` slots if they are free now. A request for more than all cores may run alone. */
  tryAcquire(n: number): boolean {
    const want = Math.min(n, this.cores);
    if (this.used + want > this.cores) return false;
    this.used += want;
    return true;
  }

  release(n: number): void {
    this.used -= Math.min(n, this.cores);
    for (const listener of this.listeners) listener();
  }

  get inUse(): number {
    return this.used;
  }

  /** Called whenever slots are released, so pools waiting for cores can dispatch. */
  onRelease(listener: () => void): void {
    this.listeners.add(listener);
  }
}
