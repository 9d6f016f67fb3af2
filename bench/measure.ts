/** Timing and memory helpers: a bounded worker pool with per-operation latencies, percentiles, GC. */
import * as v8 from "node:v8";
import * as vm from "node:vm";

export interface PoolResult {
  ops: number;
  elapsedMs: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  firstError?: string;
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Runs `op(0..total-1)` with at most `concurrency` in flight; each index runs exactly once. */
export async function runPool(
  total: number,
  concurrency: number,
  op: (index: number) => Promise<void>,
): Promise<PoolResult> {
  const latencies = new Float64Array(total);
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const lane = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      const t0 = performance.now();
      try {
        await op(i);
      } catch (error) {
        errors++;
        firstError ??= (error as Error)?.message ?? String(error);
      }
      latencies[i] = performance.now() - t0;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, lane));
  const elapsedMs = performance.now() - start;
  latencies.sort();
  const result: PoolResult = {
    ops: total,
    elapsedMs,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    errors,
  };
  if (firstError !== undefined) result.firstError = firstError;
  return result;
}

/** Times a synchronous loop of `count` iterations. */
export function timeLoop(count: number, body: (index: number) => void): PoolResult {
  const start = performance.now();
  for (let i = 0; i < count; i++) body(i);
  const elapsedMs = performance.now() - start;
  return { ops: count, elapsedMs, p50Ms: NaN, p99Ms: NaN, errors: 0 };
}

let gcFunction: (() => void) | undefined;

/** A full GC (exposes `gc` at run time, so `node dist/bench/run.js` needs no flag). */
export function collectGarbage(): void {
  if (!gcFunction) {
    v8.setFlagsFromString("--expose-gc");
    gcFunction = vm.runInNewContext("gc") as () => void;
  }
  gcFunction();
  gcFunction();
}

export interface MemorySample {
  rssBytes: number;
  heapUsedBytes: number;
}

/** RSS and used heap of this thread's isolate after a full GC. */
export function memorySample(): MemorySample {
  collectGarbage();
  const usage = process.memoryUsage();
  return { rssBytes: usage.rss, heapUsedBytes: usage.heapUsed };
}
