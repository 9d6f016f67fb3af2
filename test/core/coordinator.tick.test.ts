/**
 * The coordinator's `tick`: every overlap policy in every phase of the job, paused jobs, duplicates of a
 * scheduled time, missed ticks and catch-up runs, as exact states and answers.
 */
import { initialState } from "../../core/boundedState";
import { applyOperation, complete, confirm, pause, tick, tryStart } from "../../core/coordinator";
import type { CoordinatorConfig, JobState, Overlap, TickInput } from "../../core/types";

const config: CoordinatorConfig = { leaseMs: 5 * 60_000, maxQueue: 0 };
const MINUTE = 60_000;
const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

/** The tick for 12:<minute> of a minutely schedule, fired on time unless `firedAt` says otherwise. */
function ticked(minute: number, overlap: Overlap, more: Partial<TickInput> = {}): TickInput {
  const scheduledAt = T0 + minute * MINUTE;
  return {
    scheduledAt,
    firedAt: scheduledAt + 5,
    orchestrator: "report",
    input: { items: 1 },
    overlap,
    cron: "0 * * * * *",
    timeZone: "UTC",
    catchUpWindowMs: 0,
    starter: `ticket-${minute}`,
    ...more,
  };
}

type Phase = "idle" | "starting" | "running" | "queuedOne";

/** A job in `phase`, whose last tick was 12:00 and whose holder (if any) is generation 1, running a tick's run. */
function inPhase(phase: Phase): JobState {
  let state = tick(initialState("job"), ticked(0, "queue"), T0 + 5, config).state;
  if (phase === "idle") {
    return complete(
      confirm(state, { generation: 1, instanceId: "job:1" }, T0 + 6).state,
      {
        generation: 1,
        outcome: "completed",
      },
      T0 + 7,
      config,
    ).state;
  }
  if (phase === "starting") return state;
  state = confirm(state, { generation: 1, instanceId: "job:1" }, T0 + 6).state;
  if (phase === "running") return state;
  return tryStart(state, { requestId: "http", orchestrator: "report", policy: "queue" }, T0 + 7, {
    ...config,
    maxQueue: 1,
  }).state;
}

describe("a tick in every phase with every overlap policy", () => {
  const cases: [Phase, Overlap, string, number, number][] = [
    // phase, overlap, outcome, active generation after, queue length after
    ["idle", "skip", "started", 2, 0],
    ["idle", "queue", "started", 2, 0],
    ["idle", "replace", "started", 2, 0],
    ["starting", "skip", "skipped", 1, 0],
    ["starting", "queue", "queued", 1, 1],
    ["starting", "replace", "replaced", 2, 0],
    ["running", "skip", "skipped", 1, 0],
    ["running", "queue", "queued", 1, 1],
    ["running", "replace", "replaced", 2, 0],
    // Another request already waits: a schedule buffers one tick at most, so this one is skipped.
    ["queuedOne", "queue", "skipped", 1, 1],
  ];
  test.each(cases)("%s + %s -> %s (active %s, queue %s)", (phase, overlap, outcome, active, queued) => {
    const state = inPhase(phase);
    const now = T0 + MINUTE + 10;
    const { state: next, answer } = tick(state, ticked(1, overlap), now, config);
    expect(answer).toMatchObject({ kind: "ticked", outcome, catchUp: false });
    expect(next.active?.generation).toBe(active);
    expect(next.queue).toHaveLength(queued);
    expect(next.seq).toBe(state.seq + 1);
    expect(next.ticks).toEqual({ last: T0 + MINUTE, outcome, missed: 0 });
    const holder = state.active?.generation ?? 0;
    const generation = outcome === "started" || outcome === "replaced" ? active : holder;
    expect(next.events.at(-1)).toEqual([now, `tick:${outcome}`, generation, iso(T0 + MINUTE)]);
    expect(next.counters.rejected - state.counters.rejected).toBe(outcome === "skipped" ? 1 : 0);
    if (outcome === "started" || outcome === "replaced") {
      // The firing that decided it holds the new run's start ticket, and the run is the tick's request.
      expect(answer).toMatchObject({
        mustStart: { generation: active, requestId: "tick:2030-01-01T12:01:00Z" },
      });
      expect(next.active).toMatchObject({ requestId: "tick:2030-01-01T12:01:00Z", starter: "ticket-1" });
    } else {
      expect(answer).not.toHaveProperty("mustStart");
    }
    if (outcome === "replaced") {
      expect(next.lastFinished).toMatchObject({ generation: 1, outcome: "replaced" });
      expect(next.toTerminate ?? []).toEqual(
        phase === "running" ? [{ generation: 1, instanceId: "job:1" }] : [],
      );
    }
    if (outcome === "queued") {
      expect(next.queue).toEqual([
        {
          requestId: "tick:2030-01-01T12:01:00Z",
          orchestrator: "report",
          input: { items: 1 },
          queuedAt: now,
        },
      ]);
    }
  });
});

test("the queued tick starts when the holder ends, as any queued request", () => {
  let state = tick(inPhase("running"), ticked(1, "queue"), T0 + MINUTE, config).state;
  const released = complete(
    state,
    { generation: 1, outcome: "completed", starter: "orch-1" },
    T0 + 70_000,
    config,
  );
  state = released.state;
  expect(released.answer.promoted).toEqual({
    job: "job",
    generation: 2,
    instanceId: "job:2",
    orchestrator: "report",
    requestId: "tick:2030-01-01T12:01:00Z",
    input: { items: 1 },
  });
  expect(state.active).toMatchObject({ generation: 2, starter: "orch-1", promoted: true });
});

test("a duplicate of a decided tick changes nothing and gets the tick's outcome and run", () => {
  const state = inPhase("starting"); // 12:00 started generation 1 with ticket-0
  for (const starter of ["ticket-0", "other"]) {
    const again = tick(state, { ...ticked(0, "skip"), starter, firedAt: T0 + 30_000 }, T0 + 30_000, config);
    expect(again.state).toBe(state);
    const decision = { kind: "started", generation: 1, instanceId: "job:1" };
    if (starter === "ticket-0") {
      // The firing that holds the start ticket is told again to start the run (its retry after a crash).
      expect(again.answer).toMatchObject({
        kind: "duplicate",
        outcome: "started",
        decision,
        mustStart: { generation: 1 },
      });
    } else {
      // Another firing is not told "started" while the run waits for its start by the ticket's holder (which
      // may have died before starting it): it is told until when the run waits.
      expect(again.answer).toEqual({
        kind: "duplicate",
        outcome: "started",
        awaitingStartUntil: state.active!.leaseUntil,
      });
    }
  }
  // Once the run confirmed, every firing is told it started.
  const confirmed = confirm(state, { generation: 1, instanceId: "job:1" }, T0 + 40_000).state;
  expect(tick(confirmed, { ...ticked(0, "skip"), starter: "other" }, T0 + 50_000, config).answer).toEqual({
    kind: "duplicate",
    outcome: "started",
    decision: { kind: "started", generation: 1, instanceId: "job:1" },
  });
  // Its lease ended unconfirmed: the run is given up, and the duplicate is not decided afresh (the next tick
  // decides the job's next run).
  const abandoned = tick(state, { ...ticked(0, "skip"), starter: "other" }, state.active!.leaseUntil, config);
  expect(abandoned).toEqual({ state, answer: { kind: "duplicate", outcome: "started", abandoned: true } });
  // A tick for a time before the last one is a duplicate too (the newer tick recorded it as missed).
  const older = tick(state, ticked(-3, "skip"), T0 + 30_000, config);
  expect(older).toEqual({ state, answer: { kind: "duplicate" } });
});

test("a compare-and-set tick decided after the job changed is outdated; a duplicate check comes first", () => {
  const state = inPhase("running");
  expect(tick(state, { ...ticked(1, "skip"), expectSeq: state.seq - 1 }, T0 + MINUTE, config)).toEqual({
    state: { ...state, counters: { ...state.counters, outdated: state.counters.outdated + 1 } },
    answer: { kind: "outdated", seq: state.seq },
  });
  expect(
    tick(state, { ...ticked(0, "skip"), expectSeq: state.seq - 1 }, T0 + MINUTE, config).answer,
  ).toMatchObject({
    kind: "duplicate",
  });
});

test("a paused job records its ticks as paused and starts nothing", () => {
  const paused = pause(inPhase("idle"), { requestId: "p", by: "ops" }, T0 + 30_000).state;
  const { state, answer } = tick(paused, ticked(1, "replace"), T0 + MINUTE, config);
  expect(answer).toEqual({ kind: "ticked", outcome: "paused", catchUp: false });
  expect(state.active).toBeUndefined();
  expect(state.generation).toBe(paused.generation);
  expect(state.events.at(-1)).toEqual([T0 + MINUTE, "tick:paused", 1, "2030-01-01T12:01:00Z"]);
  expect(state.ticks).toEqual({ last: T0 + MINUTE, outcome: "paused", missed: 0 });
});

test("after 10 ticks the job never saw: recorded as missed without a window, one catch-up run inside it", () => {
  const idle = inPhase("idle"); // last tick 12:00
  const firedAt = T0 + 10 * MINUTE + 30_000;
  const late = { ...ticked(10, "skip"), firedAt, pastDue: true };
  const missed = tick(idle, late, firedAt, config);
  expect(missed.answer).toEqual({
    kind: "ticked",
    outcome: "missed",
    catchUp: false,
    missed: { first: T0 + MINUTE, count: 10 },
  });
  expect(missed.state.events.at(-1)).toEqual([firedAt, "tick:missed", 1, "10 from 2030-01-01T12:01:00Z"]);
  expect(missed.state.ticks).toEqual({ last: T0 + 10 * MINUTE, outcome: "missed", missed: 10 });
  expect(missed.state.active).toBeUndefined();

  const caughtUp = tick(idle, { ...late, catchUpWindowMs: 15 * MINUTE }, firedAt, config);
  expect(caughtUp.answer).toMatchObject({ kind: "ticked", outcome: "started", catchUp: true });
  expect(caughtUp.answer).not.toHaveProperty("missed");
  expect(caughtUp.state.events.slice(-2)).toEqual([
    [firedAt, "accepted", 2],
    [firedAt, "catchUp:started", 2, "2030-01-01T12:10:00Z +9"],
  ]);
  expect(caughtUp.state.ticks).toEqual({
    last: T0 + 10 * MINUTE,
    outcome: "started",
    catchUp: true,
    missed: 0,
  });

  // The next tick is on time again: a plain tick, and the missed count carries on.
  const next = tick(missed.state, ticked(11, "skip"), T0 + 11 * MINUTE, config);
  expect(next.state.ticks).toEqual({ last: T0 + 11 * MINUTE, outcome: "started", missed: 10 });
});

test("a late first tick is not due and changes nothing; an on-time first tick runs", () => {
  const fresh = initialState("job");
  const late = { ...ticked(1, "skip"), firedAt: T0 + MINUTE + 30_000, pastDue: true };
  expect(tick(fresh, late, T0 + MINUTE + 30_000, config)).toEqual({
    state: fresh,
    answer: { kind: "notDue" },
  });
  expect(tick(fresh, ticked(2, "skip"), T0 + 2 * MINUTE, config).answer).toMatchObject({
    outcome: "started",
  });
});

test("the entity applies `tick` by name and refuses a malformed one", () => {
  const applied = applyOperation(initialState("job"), "tick", ticked(0, "skip"), T0, config);
  expect(applied.answer).toMatchObject({ kind: "ticked", outcome: "started" });
  expect(() =>
    applyOperation(initialState("job"), "tick", { ...ticked(0, "skip"), overlap: "sometimes" }, T0, config),
  ).toThrow("Invalid input for 'tick': overlap must be one of skip, queue, replace.");
  expect(() =>
    applyOperation(initialState("job"), "tick", { ...ticked(0, "skip"), scheduledAt: "noon" }, T0, config),
  ).toThrow("Invalid input for 'tick': scheduledAt must be a whole number.");
});
