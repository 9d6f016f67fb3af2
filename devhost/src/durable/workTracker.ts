/** Counts queued and running work items so the engine can tell when it is idle. */
export class WorkTracker {
  private active = 0;
  private waiters: (() => void)[] = [];
  private checkQueued = false;

  begin(): void {
    this.active++;
  }

  end(): void {
    this.active--;
    // Checked on a later macrotask so work queued by the finishing item's continuation is seen first.
    if (this.active === 0 && !this.checkQueued && this.waiters.length > 0) {
      this.checkQueued = true;
      setImmediate(() => {
        this.checkQueued = false;
        if (this.active !== 0) return;
        const waiters = this.waiters;
        this.waiters = [];
        for (const w of waiters) w();
      });
    }
  }

  /** Runs `fn` as one work item: idle is not reported before it settles. */
  async track<T>(fn: () => Promise<T>): Promise<T> {
    this.begin();
    try {
      return await fn();
    } finally {
      this.end();
    }
  }

  isIdle(): boolean {
    return this.active === 0;
  }

  whenIdle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
