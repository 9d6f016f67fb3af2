/** A hand-driven clock for tests of the message bus and delays: every delivery time is exact. */
/** A clock that only moves when told to; fires due callbacks in (time, scheduling) order. */
export class ManualClock {
  private t = 1_000_000;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; seq: number; cb: () => void }>();

  now(): number {
    return this.t;
  }

  schedule(at: number, cb: () => void): () => void {
    const seq = ++this.seq;
    this.timers.set(seq, { at, seq, cb });
    return () => this.timers.delete(seq);
  }

  pending(): number {
    return this.timers.size;
  }

  /** Moves to `to`, firing every timer due on the way at its own time. */
  advanceTo(to: number): void {
    for (;;) {
      const next = [...this.timers.values()]
        .filter((x) => x.at <= to)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.timers.delete(next.seq);
      this.t = Math.max(this.t, next.at);
      next.cb();
    }
    this.t = Math.max(this.t, to);
  }

  advance(ms: number): void {
    this.advanceTo(this.t + ms);
  }
}
