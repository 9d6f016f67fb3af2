/**
 * Fair dispatch of the engine's work items (orchestration episodes, entity batches, activity invocations).
 *
 * Items wait in one FIFO and are started from `setImmediate` callbacks, in bounded turns: a turn starts at
 * most `maxItems` items and stops starting more once its time budget has passed since its first item
 * started. Between turns the event loop serves I/O (HTTP requests, `/admin/host/status`), timers and
 * signals, so a chain of synchronous activities or an orchestration that continues as new without pause
 * cannot starve them.
 *
 * The budget is `minMs`, except for a turn that follows one which left work queued: that one may take as
 * long as the rest of the event loop took since (between `minMs` and `maxMs`). Under a load of requests and
 * engine work at once (a storm of starters waiting on their entities) the engine gets about half the
 * thread, not just `minMs` per pass of the loop; with little else to serve, turns stay short. On the real host this fairness comes for free: the Node worker receives every invocation as its own
 * gRPC message, handled in its own I/O callback (azure-functions-nodejs-worker, src/setupEventStream.ts),
 * and the host's HTTP server runs in another process.
 *
 * A turn is a group of immediates armed together, one per item. Node drains the microtask queue after each
 * immediate, so by the time the next one runs, the previous item has done all the synchronous work it does
 * before waiting on real I/O or a timer: the turn's clock counts that work too (an activity that busy-waits
 * 20 ms spends them in those microtasks, not in the callback that started it). Immediates armed while a
 * turn runs wait for the next loop iteration.
 *
 * Items are started as soon as they are queued (no polling tick, no delay); an empty queue arms nothing.
 * Every queued or running item counts as work in the WorkTracker, so `whenIdle()` stays exact.
 */
import type { WorkTracker } from "./workTracker";

/** A work item: its returned promise settles when the item is done (its follow-up work already queued). */
export type WorkItem = () => Promise<void> | void;

export interface TurnLimits {
  /** Items started per turn at most. */
  maxItems: number;
  /** A turn's time budget (ms since its first item started), when no work was left waiting before it. */
  minMs: number;
  /** The largest budget: one that follows a turn which left work queued gets the time the loop took since. */
  maxMs: number;
  /** The turns' clock in ms; default `performance.now` (tests inject their own). */
  now?: () => number;
}

/**
 * A status probe waits for one turn at most: 10 ms while the engine works alone, up to 50 ms while requests
 * keep the loop as busy. 256 cheap entity batches fit in a turn.
 */
export const DEFAULT_TURN_LIMITS: TurnLimits = { maxItems: 256, minMs: 10, maxMs: 50 };

interface Turn {
  slots: NodeJS.Immediate[];
  /** Slots that have not run yet. */
  left: number;
  /** When the previous turn ended leaving work queued (this turn continues it). */
  backlogSince?: number;
  startedAt?: number;
  budgetMs: number;
  started: number;
}

export class WorkScheduler {
  private ready: WorkItem[] = [];
  private head = 0;
  private turn: Turn | undefined;
  private stopped = false;

  constructor(
    private readonly work: WorkTracker,
    private readonly onError: (err: unknown) => void,
    private readonly limits: TurnLimits = DEFAULT_TURN_LIMITS,
  ) {}

  /** Queues an item; it starts on a coming turn, after the items queued before it. Ignored once stopped. */
  enqueue(item: WorkItem): void {
    if (this.stopped) return;
    this.work.begin();
    this.ready.push(item);
    this.arm();
  }

  /** Items queued and not started yet. */
  get queued(): number {
    return this.ready.length - this.head;
  }

  /** Drops the queued items and every later one; items already started run on. */
  stop(): void {
    this.stopped = true;
    if (this.turn) for (const slot of this.turn.slots) clearImmediate(slot);
    this.turn = undefined;
    const dropped = this.queued;
    this.ready = [];
    this.head = 0;
    for (let i = 0; i < dropped; i++) this.work.end();
  }

  private arm(backlogSince?: number): void {
    const turn = this.turn;
    if (turn) {
      // Not begun yet: the new item gets a slot in it. Otherwise the turn's last slot arms the next turn.
      if (turn.startedAt === undefined && turn.slots.length < this.limits.maxItems) this.addSlot(turn);
      return;
    }
    const slots = Math.min(this.queued, this.limits.maxItems);
    if (slots === 0) return;
    const next: Turn = { slots: [], left: 0, backlogSince, budgetMs: this.limits.minMs, started: 0 };
    this.turn = next;
    for (let i = 0; i < slots; i++) this.addSlot(next);
  }

  private addSlot(turn: Turn): void {
    turn.left++;
    turn.slots.push(setImmediate(() => this.runSlot(turn)));
  }

  private runSlot(turn: Turn): void {
    turn.left--;
    const { minMs, maxMs, maxItems } = this.limits;
    const now = this.limits.now ? this.limits.now() : performance.now();
    if (turn.startedAt === undefined) {
      turn.startedAt = now;
      if (turn.backlogSince !== undefined)
        turn.budgetMs = Math.min(maxMs, Math.max(minMs, now - turn.backlogSince));
    }
    const withinBudget = turn.started < maxItems && now - turn.startedAt < turn.budgetMs;
    if (withinBudget && this.queued > 0) {
      turn.started++;
      this.start(this.take());
      if (turn.left > 0) return;
    } else if (withinBudget && turn.left > 0) {
      return;
    }
    // The turn is over: cancel its unused slots and arm the next turn if work waits.
    for (const slot of turn.slots) clearImmediate(slot);
    if (this.turn === turn) this.turn = undefined;
    this.arm(this.queued > 0 ? now : undefined);
  }

  private take(): WorkItem {
    const item = this.ready[this.head];
    this.ready[this.head++] = undefined as unknown as WorkItem;
    // Compact now and then so the array does not grow without bound under steady load.
    if (this.head > 1024 && this.head * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  private start(item: WorkItem): void {
    let outcome: Promise<void> | void;
    try {
      outcome = item();
    } catch (err) {
      this.onError(err);
      this.work.end();
      return;
    }
    if (!outcome) {
      this.work.end();
      return;
    }
    outcome.then(
      () => this.work.end(),
      (err: unknown) => {
        this.onError(err);
        this.work.end();
      },
    );
  }
}
