/**
 * The slow-backend delay source (devhost/durable/latency.ts). How the message bus delivers with it is in
 * messageBus.test.ts.
 */
import { DEFAULT_LATENCY_SEED, DelaySource, latencyProblem, mulberry32 } from "../../src/durable/latency";

/** The first delays of seed 1 over 0-2000 ms (the reference mulberry32 gives the same). */
const PINNED_SEED_1 = [1254, 5, 1055, 1963, 1937];

const draws = (source: DelaySource, n: number): number[] => Array.from({ length: n }, () => source.next());

describe("delay source", () => {
  test("mulberry32 repeats its sequence for a seed, in [0, 1)", () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(mulberry32(43)()).not.toBe(xs[0]);
  });

  test("the same seed gives the same delays; the default seed is 1", () => {
    const latency = { minMs: 0, maxMs: 2000, seed: 7 };
    expect(draws(new DelaySource(latency), 200)).toEqual(draws(new DelaySource(latency), 200));
    expect(draws(new DelaySource({ minMs: 0, maxMs: 2000 }), 50)).toEqual(
      draws(new DelaySource({ minMs: 0, maxMs: 2000, seed: DEFAULT_LATENCY_SEED }), 50),
    );
    expect(DEFAULT_LATENCY_SEED).toBe(1);
    expect(draws(new DelaySource({ ...latency, seed: 8 }), 20)).not.toEqual(
      draws(new DelaySource(latency), 20),
    );
    // Pinned, so that a seed printed by an earlier run keeps meaning the same delays.
    expect(draws(new DelaySource({ minMs: 0, maxMs: 2000, seed: 1 }), 5)).toEqual(PINNED_SEED_1);
  });

  test("delays are whole ms, uniform over [min, max] with both ends reachable", () => {
    const xs = draws(new DelaySource({ minMs: 10, maxMs: 13, seed: 3 }), 4000);
    const counts = [10, 11, 12, 13].map((v) => xs.filter((x) => x === v).length);
    expect(counts.reduce((a, b) => a + b)).toBe(4000);
    for (const c of counts) expect(c).toBeGreaterThan(850);
    expect(draws(new DelaySource({ minMs: 250, maxMs: 250 }), 10)).toEqual(Array(10).fill(250));
  });

  test("rejects bad ranges and seeds", () => {
    expect(latencyProblem({ minMs: 0, maxMs: 600_000, seed: 0xffffffff })).toBeUndefined();
    expect(latencyProblem({ minMs: 5, maxMs: 4 })).toMatch(/0 <= min <= max <= 600000/);
    expect(latencyProblem({ minMs: -1, maxMs: 4 })).toMatch(/0 <= min/);
    expect(latencyProblem({ minMs: 0, maxMs: 600_001 })).toMatch(/<= 600000/);
    expect(latencyProblem({ minMs: 0.5, maxMs: 4 })).toMatch(/whole milliseconds/);
    expect(latencyProblem({ minMs: 0, maxMs: NaN })).toMatch(/whole milliseconds/);
    expect(latencyProblem({ minMs: 0, maxMs: 4, seed: -1 })).toMatch(/seed/);
    expect(latencyProblem({ minMs: 0, maxMs: 4, seed: 2 ** 32 })).toMatch(/seed/);
    expect(() => new DelaySource({ minMs: 3, maxMs: 1 })).toThrow(/invalid Durable message latency/);
  });
});
