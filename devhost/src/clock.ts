/**
 * The devhost's clock. Real time plus an offset that tests move forward with `advance(ms)`; `startAt` sets
 * the offset so that the clock starts at a chosen time (a host started "later" than the previous one stopped).
 *
 * With `shiftGlobalDate` the offset is applied to the process-wide `Date` as well, so the app, the
 * durable-functions SDK and the engine all see one consistent "now" (an entity's lease check, an
 * orchestration's timestamps and a durable timer all agree) without the app knowing about the devhost.
 */

type Timer = { at: number; seq: number; cb: () => void; handle?: NodeJS.Timeout };

const RealDate = Date;
const MAX_TIMEOUT = 2 ** 31 - 1;

export class Clock {
  private offsetMs = 0;
  private seq = 0;
  private readonly timers = new Map<number, Timer>();
  private restoreDate?: () => void;

  constructor(options: { shiftGlobalDate?: boolean; startAt?: number } = {}) {
    if (options.startAt !== undefined) this.offsetMs = Math.round(options.startAt) - RealDate.now();
    if (options.shiftGlobalDate) this.restoreDate = installShiftedDate(() => this.offsetMs);
  }

  now(): number {
    return RealDate.now() + this.offsetMs;
  }

  /** Runs `cb` once `now()` reaches `atMs`, whether by real time passing or by `advance`. Returns a cancel function. */
  schedule(atMs: number, cb: () => void): () => void {
    const timer: Timer = { at: atMs, seq: ++this.seq, cb };
    this.timers.set(timer.seq, timer);
    this.arm(timer);
    return () => this.cancel(timer.seq);
  }

  /** Number of timers still waiting to fire. */
  pendingTimers(): number {
    return this.timers.size;
  }

  /** Earliest pending timer's due time, if any. */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const t of this.timers.values()) if (next === undefined || t.at < next) next = t.at;
    return next;
  }

  /** Moves time forward and fires, in due order, every timer that became due. */
  advance(ms: number): void {
    if (ms < 0) throw new Error("the clock only moves forward");
    this.offsetMs += ms;
    const due = [...this.timers.values()]
      .filter((t) => t.at <= this.now())
      .sort((a, b) => a.at - b.at || a.seq - b.seq);
    for (const t of due) this.fire(t);
    for (const t of this.timers.values()) this.arm(t);
  }

  dispose(): void {
    for (const t of this.timers.values()) if (t.handle) clearTimeout(t.handle);
    this.timers.clear();
    this.restoreDate?.();
    this.restoreDate = undefined;
  }

  private arm(timer: Timer): void {
    if (timer.handle) clearTimeout(timer.handle);
    const delay = Math.min(Math.max(0, timer.at - this.now()), MAX_TIMEOUT);
    timer.handle = setTimeout(() => {
      if (timer.at <= this.now()) this.fire(timer);
      else this.arm(timer);
    }, delay);
    // A pending durable timer must not keep a CLI or test process alive on its own.
    timer.handle.unref();
  }

  private fire(timer: Timer): void {
    if (!this.timers.delete(timer.seq)) return;
    if (timer.handle) clearTimeout(timer.handle);
    timer.cb();
  }

  private cancel(seq: number): void {
    const t = this.timers.get(seq);
    if (!t) return;
    if (t.handle) clearTimeout(t.handle);
    this.timers.delete(seq);
  }
}

function installShiftedDate(offset: () => number): () => void {
  const previous = globalThis.Date;
  class ShiftedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(RealDate.now() + offset());
      else super(...(args as [string | number | Date]));
    }
    static override now(): number {
      return RealDate.now() + offset();
    }
  }
  globalThis.Date = ShiftedDate as DateConstructor;
  return () => {
    globalThis.Date = previous;
  };
}
