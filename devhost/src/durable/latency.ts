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
 * - Durable timers fire on time.
 * - Delays run on the devhost Clock, so `advance` delivers them in virtual time and real time in the CLI.
 * - A message waiting for its delivery counts as work in the WorkTracker, so `whenIdle()` waits for it.
 *
 * The delivery itself is the message bus's (./messageBus): a delayed message is stored at once, due later.
 * Without latency every message is due when it is sent, with no timer.
 */
import type { LatencyOptions } from "../contracts";

/** Seed used when the options give none (the CLI prints it so a run can be repeated). */
export const DEFAULT_LATENCY_SEED = 1;
/** Largest accepted delay: 10 minutes. */
export const MAX_LATENCY_MS = 600_000;
const MAX_SEED = 0xffff_ffff;

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
