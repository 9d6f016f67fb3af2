/** Counts work in flight (HTTP requests, invocations, timer ticks) so the host can tell when it is idle. */
export class ActivityTracker {
  private inFlight = 0;
  private waiters: (() => void)[] = [];

  begin(): () => void {
    this.inFlight++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--this.inFlight === 0) this.release();
    };
  }

  track<T>(work: Promise<T>): Promise<T> {
    const end = this.begin();
    return work.finally(end);
  }

  isIdle(): boolean {
    return this.inFlight === 0;
  }

  get count(): number {
    return this.inFlight;
  }

  whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
