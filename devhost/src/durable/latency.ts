/**
 * A "slow backend" for the engine: every Durable message (entity operation, orchestration event, activity
 * work item) is delivered after a random delay, the way Azure Storage queues deliver them late (polling with
 * back-off up to `maxQueuePollingInterval`).
 *
 * - Delays are drawn uniformly in [minMs, maxMs] (whole ms) from a seeded PRNG, in send order: a run with
 *   the same seed and the same sequence of sends gets the same delays (concurrent real I/O in activities or
 *   HTTP starters can change that sequence from run to run).
 * - Messages from one sender to one receiver stay in order (Durable's per-sender FIFO): a message is never
 *   delivered before an earlier one of the same (sender, receiver) pair. Messages sent without a route
 *   (from clients; activity work items and their results) are unordered, like the extension's entity
 *   MessageSorter, which lets messages from clients (no ParentInstanceId) through unsorted.
 * - Durable timers are not messages here: they fire on time.
 * - Delays run on the devhost Clock, so `advance` delivers them in virtual time and real time in the CLI.
 * - A message waiting for its delivery counts as work in the WorkTracker, so `whenIdle()` waits for it.
 * - `stop()` drops the messages not yet delivered (and every later send): shutdown never waits on them.
 *
 * Without latency the engine uses `immediateDelivery`: every message is delivered synchronously as it is
 * sent, with no timer, exactly as before this option existed.
 */
import type { Clock } from "../clock";
import type { LatencyOptions } from "../contracts";
import type { WorkTracker } from "./workTracker";

/** Seed used when the options give none (the CLI prints it so a run can be repeated). */
export const DEFAULT_LATENCY_SEED = 1;
/** Largest accepted delay: 10 minutes. */
export const MAX_LATENCY_MS = 600_000;
const MAX_SEED = 0xffff_ffff;

/** Sender and receiver of an ordered message (instance ids; entities as `@name@key`). */
export interface Route {
  from: string;
  to: string;
}

/** How the engine hands its messages over. */
export interface MessageDelivery {
  /** Delivers a message by calling `deliver`; with a route, never before an earlier message on that route. */
  send(route: Route | undefined, deliver: () => void): void;
  /** Shutdown: messages not delivered yet are dropped, and so are later ones. */
  stop(): void;
}

/** Latency off: each message is delivered synchronously when it is sent. */
export const immediateDelivery: MessageDelivery = {
  send: (_route, deliver) => deliver(),
  stop: () => undefined,
};

/** Why `latency` is not acceptable, or undefined when it is. */
export function latencyProblem(latency: LatencyOptions): string | undefined {
  const { minMs, maxMs, seed } = latency;
  if (!Number.isInteger(minMs) || !Number.isInteger(maxMs)) return "delays must be whole milliseconds";
  if (minMs < 0 || minMs > maxMs || maxMs > MAX_LATENCY_MS)
    return `delays must satisfy 0 <= min <= max <= ${MAX_LATENCY_MS}`;
  if (seed !== undefined && (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED))
    return `the seed must be a whole number from 0 to ${MAX_SEED}`;
  return undefined;
}

/** mulberry32: a tiny, fast 32-bit PRNG; returns numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Message delays in whole ms, uniform in [minMs, maxMs], from a seeded PRNG. */
export class DelaySource {
  private readonly random: () => number;

  constructor(private readonly latency: LatencyOptions) {
    const problem = latencyProblem(latency);
    if (problem) throw new Error(`invalid Durable message latency: ${problem}`);
    this.random = mulberry32(latency.seed ?? DEFAULT_LATENCY_SEED);
  }

  next(): number {
    const { minMs, maxMs } = this.latency;
    return minMs + Math.floor(this.random() * (maxMs - minMs + 1));
  }
}

interface Pending {
  at: number;
  deliver: () => void;
}

/** Messages of one route (or one unordered message) in delivery order; one clock timer for the head. */
interface Lane {
  items: Pending[];
  cancel?: () => void;
}

/** What the delivery needs of the devhost Clock. */
export type DeliveryClock = Pick<Clock, "now" | "schedule">;

/** Latency on: messages wait on the clock, in per-route FIFO lanes. */
export class DelayedDelivery implements MessageDelivery {
  private readonly delays: DelaySource;
  private readonly lanes = new Map<string, Lane>();
  private unordered = 0;
  private stopped = false;

  constructor(
    latency: LatencyOptions,
    private readonly clock: DeliveryClock,
    private readonly work: WorkTracker,
    private readonly onError: (err: unknown) => void,
  ) {
    this.delays = new DelaySource(latency);
  }

  send(route: Route | undefined, deliver: () => void): void {
    if (this.stopped) return;
    const key = route ? JSON.stringify([route.from, route.to]) : `#${++this.unordered}`;
    let lane = this.lanes.get(key);
    if (!lane) this.lanes.set(key, (lane = { items: [] }));
    // Never before the route's previous message: its delivery time is the earliest this one may have.
    const previous = lane.items.at(-1)?.at ?? -Infinity;
    lane.items.push({ at: Math.max(this.clock.now() + this.delays.next(), previous), deliver });
    this.work.begin();
    if (!lane.cancel) this.arm(key, lane);
  }

  stop(): void {
    this.stopped = true;
    for (const lane of this.lanes.values()) {
      lane.cancel?.();
      for (let i = 0; i < lane.items.length; i++) this.work.end();
    }
    this.lanes.clear();
  }

  /** Pending messages (for tests). */
  pending(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane.items.length;
    return n;
  }

  private arm(key: string, lane: Lane): void {
    lane.cancel = this.clock.schedule(lane.items[0].at, () => this.flush(key, lane));
  }

  /** Delivers every due message at the head of the lane, in order, then waits for the next one. */
  private flush(key: string, lane: Lane): void {
    lane.cancel = undefined;
    const now = this.clock.now();
    let n = 0;
    while (n < lane.items.length && lane.items[n].at <= now) n++;
    const due = lane.items.splice(0, n);
    if (lane.items.length > 0) this.arm(key, lane);
    else this.lanes.delete(key);
    for (const item of due) {
      try {
        item.deliver();
      } catch (err) {
        this.onError(err);
      } finally {
        this.work.end();
      }
    }
  }
}

/** The delivery the engine uses for `latency` (undefined: latency off). */
export function messageDelivery(
  latency: LatencyOptions | undefined,
  clock: DeliveryClock,
  work: WorkTracker,
  onError: (err: unknown) => void,
): MessageDelivery {
  return latency ? new DelayedDelivery(latency, clock, work, onError) : immediateDelivery;
}
