/**
 * The overlap acceptance scenario, written once against a small `ScheduleWorld` port so the same steps and
 * assertions run on the devhost end to end (test/e2e/scheduleOverlap.test.ts) and in the fast in-memory
 * world over a month (test/core/scheduleMonth.test.ts).
 *
 * Every-minute schedules, one per overlap policy, each run lasting a seeded random time around the
 * interval (ending away from the minute marks, so "idle at the tick" is well defined). At every tick the
 * scenario knows from the job's state just before it whether the job was held and whether a tick waited,
 * and asserts exactly what the tick did:
 * - skip: it started a run iff the job was idle, else it was skipped;
 * - queue: it started a run if idle, else it queued if nothing waited, else it was skipped (at most one
 *   waits); a waiting tick's run starts the moment the holder ends;
 * - replace: it started a run if idle, else it replaced the run, whose user code was stopped (terminated);
 * and never are two runs of a job live at once.
 */
import { mulberry32 } from "durable-functions-devhost";
import type { Overlap, TickOutcome } from "../../core/types";

/** What the scenario reads of `GET /api/jobs/{jobName}` (core/jobView.ts, core/scheduleView.ts). */
export interface JobView {
  job: string;
  active?: { instanceId: string; requestId: string };
  queue: { requestId: string }[];
  schedule?: { lastTick: { scheduledAt: string; outcome: TickOutcome; catchUp: boolean } | null };
}

export interface ScheduleWorld {
  now(): number;
  /** Moves the clock to `at` (timers fire), and waits until nothing is left to do. */
  advanceTo(at: number): Promise<void>;
  /** The run's user code ends now (the devhost: its awaited event is raised). */
  finish(instanceId: string): Promise<void>;
  job(name: string): Promise<JobView>;
  /** The runtime status of a run's orchestration ("Terminated", "Completed", ...). */
  status(instanceId: string): Promise<string>;
  /** The job's runs whose orchestrations are live. */
  live(job: string): Promise<string[]>;
}

const MINUTE = 60_000;
/** Runs end at least this far from a minute mark (a tick), whatever the machine's hiccups. */
const MARGIN_MS = 10_000;

/** When a run started at `start` ends: 30-90 s later, moved to fall 10-50 s past a minute mark. */
export function endOf(start: number, random: () => number): number {
  const end = start + 30_000 + Math.floor(random() * 60_000);
  const into = end % MINUTE;
  if (into < MARGIN_MS) return end + (MARGIN_MS - into);
  if (into > MINUTE - MARGIN_MS) return end - (into - (MINUTE - MARGIN_MS));
  return end;
}

/** What a tick must do, from the job as it was just before it. */
export function expectedOutcome(overlap: Overlap, held: boolean, waiting: number): TickOutcome {
  if (!held) return "started";
  if (overlap === "skip") return "skipped";
  if (overlap === "replace") return "replaced";
  return waiting === 0 ? "queued" : "skipped";
}

export interface ScenarioJob {
  name: string;
  overlap: Overlap;
}

export type OutcomeCounts = Record<string, Partial<Record<TickOutcome | "promoted", number>>>;

const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

/**
 * Plays `minutes` ticks of every job's minutely schedule, from the next minute mark on, and returns how
 * often each outcome happened per job. Fails (throws) at the first tick that did not do what it must.
 */
export async function playOverlapScenario(
  world: ScheduleWorld,
  jobs: ScenarioJob[],
  minutes: number,
  seed: number,
  /** Called after every scenario day (1,440 ticks per job) with the days done: long runs show progress. */
  onDay?: (days: number) => void,
): Promise<OutcomeCounts> {
  // The devhost's seeded PRNG (its latency injection uses it too), so a failing run replays from its seed.
  const random = mulberry32(seed);
  const ends = new Map<string, { job: string; at: number }>(); // live runs and when their user code ends
  const known = new Set<string>(); // every run seen
  const counts: OutcomeCounts = Object.fromEntries(jobs.map((j) => [j.name, {}]));
  const bump = (job: string, what: TickOutcome | "promoted") => {
    counts[job][what] = (counts[job][what] ?? 0) + 1;
  };
  const fail = (message: string): never => {
    throw new Error(`seed ${seed}: ${message}`);
  };

  // The job as the scenario last read it: nothing changes a job between the scenario's own steps (run
  // ends, ticks), so this is the job "just before" the next step.
  const seen = new Map<string, JobView>();
  const read = async (job: string) => {
    const view = await world.job(job);
    seen.set(job, view);
    return view;
  };

  /** Gives every new run its end time; checks no job has two live runs. */
  const noteRuns = async (view: JobView, at: number) => {
    const active = view.active;
    if (active && !known.has(active.instanceId)) {
      known.add(active.instanceId);
      ends.set(active.instanceId, { job: view.job, at: endOf(at, random) });
    }
    const live = await world.live(view.job);
    if (live.length > 1) fail(`${view.job} has ${live.length} live runs at ${iso(at)}: ${live.join(", ")}`);
  };

  // Start at the next minute mark: jumping over one would be a missed tick. When it is too close to read
  // the jobs before it, let it tick first (its runs are given their ends like any other).
  let first = Math.ceil(world.now() / MINUTE) * MINUTE;
  if (first - world.now() < MARGIN_MS) {
    await world.advanceTo(first);
    first += MINUTE;
  }
  for (const { name } of jobs) await noteRuns(await read(name), world.now());

  for (let m = 0; m < minutes; m++) {
    const tickAt = first + m * MINUTE;
    // The runs that end before this tick, in time order.
    for (;;) {
      const next = [...ends].filter(([, e]) => e.at < tickAt).sort((a, b) => a[1].at - b[1].at)[0];
      if (!next) break;
      const [instanceId, { job, at }] = next;
      await world.advanceTo(at);
      const waiting = (seen.get(job) as JobView).queue.map((q) => q.requestId);
      await world.finish(instanceId);
      ends.delete(instanceId);
      const after = await read(job);
      if (waiting.length > 0) {
        // The waiting tick's run started the moment the holder ended.
        if (after.active?.requestId !== waiting[0] || after.queue.length !== waiting.length - 1) {
          fail(`${job}: ${waiting[0]} did not start when ${instanceId} ended at ${iso(at)}`);
        }
        bump(job, "promoted");
      } else if (after.active) fail(`${job}: ${after.active.instanceId} runs after ${instanceId} ended`);
      await noteRuns(after, at);
    }

    const before = new Map(seen);
    await world.advanceTo(tickAt);
    for (const { name, overlap } of jobs) {
      const was = before.get(name) as JobView;
      if (was.schedule?.lastTick && Date.parse(was.schedule.lastTick.scheduledAt) >= tickAt) {
        fail(`${name}: the tick at ${iso(tickAt)} fired before the scenario looked at the job`);
      }
      const view = await read(name);
      const expected = expectedOutcome(overlap, was.active !== undefined, was.queue.length);
      const last = view.schedule?.lastTick;
      if (last?.scheduledAt !== iso(tickAt) || last.outcome !== expected || last.catchUp) {
        fail(
          `${name} (${overlap}) at ${iso(tickAt)}: expected ${expected} (held: ${was.active !== undefined}, waiting: ${was.queue.length}), got ${JSON.stringify(last)}`,
        );
      }
      bump(name, expected);
      if (expected === "replaced") {
        const replaced = was.active?.instanceId as string;
        const status = await world.status(replaced);
        if (status !== "Terminated") fail(`${name}: replaced run ${replaced} is ${status}, not Terminated`);
        ends.delete(replaced);
      }
      if (expected === "started" || expected === "replaced") {
        if (view.active?.requestId !== `tick:${iso(tickAt)}`)
          fail(`${name}: the tick's run is not the holder`);
      }
      await noteRuns(view, tickAt);
    }
    if ((m + 1) % (24 * 60) === 0) onDay?.((m + 1) / (24 * 60));
  }
  return counts;
}
