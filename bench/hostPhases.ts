/**
 * Sections 2-4 against one devhost: entity decisions, the full start path (ours vs the naive seed) over
 * the SDK and over HTTP, and memory. Every phase ends with `waitForIdle` (the time that takes is the
 * "drain": orchestrations still finishing), so one phase's leftovers never run inside the next one.
 */
import type { DevhostSession } from "./devhostSession";
import { runInClientThread } from "./clientThread";
import { memorySample, type MemorySample } from "./measure";
import type { Row } from "./report";
import { runScenario, type ScenarioName, type ScenarioParams, type ScenarioResult } from "./scenarios";

export type Where = "client thread" | "host thread";

export interface Phase {
  row: Row;
  scenario: ScenarioName;
}

export interface MemoryDelta {
  label: string;
  ops: number;
  before: MemorySample;
  after: MemorySample;
}

export async function runPhase(
  session: DevhostSession,
  name: string,
  scenario: ScenarioName,
  params: ScenarioParams,
  where: Where,
): Promise<Row> {
  const result: ScenarioResult =
    where === "client thread"
      ? await runInClientThread(scenario, session.endpoint, params)
      : await runScenario(scenario, session.endpoint, params);
  const drainStart = performance.now();
  await session.host.waitForIdle();
  const drainMs = performance.now() - drainStart;
  return {
    name,
    where,
    concurrency: params.concurrency,
    jobs: params.jobs,
    result,
    counts: result.counts,
    outcomes: result.outcomes,
    drainMs,
  };
}

export interface EntityDecisionParams {
  requests: number;
  hostThreadRequests: number;
  concurrency: number;
  jobs: number;
}

export interface EntityDecisionRows {
  /** Decisions on idle jobs (each request a fresh job name): the uncontended decision. */
  idle: Row;
  app: Row;
  sdk: Row;
  appHostThread: Row;
  memory: MemoryDelta;
}

/** Section 2 (+ memory, section 4): signal tryStart and read state until the decision is there. */
export async function entityDecisions(
  session: DevhostSession,
  p: EntityDecisionParams,
): Promise<EntityDecisionRows> {
  const base = { concurrency: p.concurrency, jobs: p.jobs };
  // Prime the memory run's jobs (entities exist, host code warm), then measure on the same jobs.
  const prime = { ...base, requests: p.jobs * 4, jobPrefix: "mem-", warmup: 0 };
  await runPhase(session, "prime", "entityDecisionApp", prime, "client thread");
  const before = memorySample();
  const measured = {
    ...base,
    requests: p.requests,
    jobPrefix: "mem-",
    warmup: p.jobs * 4,
    warmupPrefix: "mem-",
  };
  const app = await runPhase(
    session,
    "entity decision, job held (app client)",
    "entityDecisionApp",
    measured,
    "client thread",
  );
  const after = memorySample();
  const idle = await runPhase(
    session,
    "entity decision, idle job (app client)",
    "entityDecisionApp",
    { ...base, jobs: p.requests, requests: p.requests, jobPrefix: "idle-", warmup: p.jobs * 4 },
    "client thread",
  );
  const sdk = await runPhase(
    session,
    "entity decision (SDK only)",
    "entityDecisionSdk",
    { ...base, requests: p.requests, jobPrefix: "sdk-", warmup: p.jobs * 4 },
    "client thread",
  );
  const appHostThread = await runPhase(
    session,
    "entity decision (app client)",
    "entityDecisionApp",
    { ...base, requests: p.hostThreadRequests, jobPrefix: "same-", warmup: p.jobs * 4 },
    "host thread",
  );
  return {
    idle,
    app,
    sdk,
    appHostThread,
    memory: { label: "entity decisions (same jobs)", ops: p.requests + p.jobs * 4, before, after },
  };
}

export interface ComparisonParams {
  requests: number;
  concurrency: number;
  /** Distinct job names; `undefined`: one per request (every request is a real start). */
  jobs?: number;
}

export interface Comparison {
  ours: Row;
  naive: Row;
  memoryOurs: MemoryDelta;
  memoryNaive: MemoryDelta;
}

/** Two rounds of one row as one: ops, time and drain summed, p50 averaged, p99 the worse. */
export function merge(name: string, a: Row, b: Row): Row {
  const sum = (f: (r: Row) => number) => f(a) + f(b);
  const outcomes: Record<string, number> = { ...a.outcomes };
  for (const [k, v] of Object.entries(b.outcomes ?? {})) outcomes[k] = (outcomes[k] ?? 0) + v;
  const row: Row = {
    ...a,
    name,
    result: {
      ops: sum((r) => r.result.ops),
      elapsedMs: sum((r) => r.result.elapsedMs),
      p50Ms: (a.result.p50Ms + b.result.p50Ms) / 2,
      p99Ms: Math.max(a.result.p99Ms, b.result.p99Ms),
      errors: sum((r) => r.result.errors),
      ...((a.result.firstError ?? b.result.firstError)
        ? { firstError: a.result.firstError ?? b.result.firstError }
        : {}),
    },
    outcomes,
    drainMs: sum((r) => r.drainMs ?? 0),
  };
  if (a.counts && b.counts) {
    row.counts = {
      signal: a.counts.signal + b.counts.signal,
      readState: a.counts.readState + b.counts.readState,
      readBytes: a.counts.readBytes + b.counts.readBytes,
      startNew: a.counts.startNew + b.counts.startNew,
      instance: a.counts.instance + b.counts.instance,
    };
  }
  return row;
}

/**
 * Ours vs naive with the same load, in A-B-B-A order (naive, ours, ours, naive) so a linear drift of the
 * machine (heap growth, thermal) weighs on both alike; each variant's two rounds are merged.
 */
export async function compareStartPaths(
  session: DevhostSession,
  label: string,
  ours: { name: string; scenario: ScenarioName },
  naive: { name: string; scenario: ScenarioName },
  p: ComparisonParams,
  prefix: string,
): Promise<Comparison> {
  const jobs = p.jobs ?? p.requests;
  const warmup = Math.min(200, p.requests);
  const rows: Record<"ours" | "naive", Row[]> = { ours: [], naive: [] };
  const memory: Record<"ours" | "naive", MemoryDelta> = {
    ours: { label: `${label}: ours`, ops: 0, before: zero(), after: zero() },
    naive: { label: `${label}: naive`, ops: 0, before: zero(), after: zero() },
  };
  const order: ("ours" | "naive")[] = ["naive", "ours", "ours", "naive"];
  for (const [round, variant] of order.entries()) {
    const spec = variant === "ours" ? ours : naive;
    const params: ScenarioParams = {
      requests: p.requests,
      concurrency: p.concurrency,
      jobs,
      jobPrefix: `${prefix}-${variant}${round}-`,
      warmup,
    };
    const before = memorySample();
    rows[variant].push(await runPhase(session, spec.name, spec.scenario, params, "client thread"));
    const after = memorySample();
    const m = memory[variant];
    m.ops += p.requests + warmup;
    m.before.heapUsedBytes += before.heapUsedBytes;
    m.before.rssBytes += before.rssBytes;
    m.after.heapUsedBytes += after.heapUsedBytes;
    m.after.rssBytes += after.rssBytes;
  }
  return {
    ours: merge(`${ours.name} ${label}`, rows.ours[0], rows.ours[1]),
    naive: merge(`${naive.name} ${label}`, rows.naive[0], rows.naive[1]),
    memoryOurs: memory.ours,
    memoryNaive: memory.naive,
  };
}

/**
 * Ours on job names whose previous run has finished (the steady state of a fixed set of jobs): the
 * entities exist and the registry already lists the names, so a start pays no first-time costs.
 * The naive seed cannot do this at all (a finished instance blocks its id forever).
 */
export async function restartFinishedJobs(
  session: DevhostSession,
  name: string,
  p: ComparisonParams,
  prefix: string,
): Promise<Row> {
  const params: ScenarioParams = {
    requests: p.requests,
    concurrency: p.concurrency,
    jobs: p.jobs ?? p.requests,
    jobPrefix: `${prefix}-`,
    warmup: 0,
  };
  await runPhase(session, "first runs", "startOurs", params, "client thread");
  return runPhase(session, name, "startOurs", params, "client thread");
}

export const FLOOR_ROW = "floor: HTTP POST /api/bench/noop";

export interface FloorParams {
  requests: number;
  concurrency: number;
}

/**
 * One round of the floor: `POST /api/bench/noop` (a function that answers 200 `{}`) with the HTTP start
 * row's load (autocannon, same body and connections). The bench runs two rounds, first and last, and
 * merges them, so a drift during the run weighs on the floor as on the rows compared with it.
 */
export function floorRound(session: DevhostSession, p: FloorParams): Promise<Row> {
  const params: ScenarioParams = {
    requests: p.requests,
    concurrency: p.concurrency,
    jobs: 1,
    jobPrefix: "noop-",
    // Not scaled: the host's HTTP invocation path must be warm even in a BENCH_SCALE=0.2 run.
    warmup: 2_000,
  };
  return runPhase(session, FLOOR_ROW, "httpNoop", params, "client thread");
}

function zero(): MemorySample {
  return { rssBytes: 0, heapUsedBytes: 0 };
}
