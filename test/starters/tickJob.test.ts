/**
 * A schedule's tick (core/tickJob.ts) against an in-memory client: duplicate firings, the run's start,
 * replacement, a dead holder, and a slow entity (the follow-up finishes the tick).
 */
import { FOLLOW_UP_ORCHESTRATOR } from "../../core/names";
import { followUpPrefix } from "../../core/runIds";
import type { Schedule } from "../../core/schedules";
import { fireSchedule, tickInputOf, tickJob } from "../../core/tickJob";
import type { StartOptions } from "../../core/startJob";
import { FakeCoordinator } from "../helpers/fakeCoordinatorClient";
import { followUpInput, runFollowUp } from "../helpers/followUpDriver";

const options: StartOptions = {
  waitBudgetMs: 50,
  poll: { initialMs: 1, maxMs: 4, factor: 2 },
  config: { leaseMs: 60_000, maxQueue: 1 },
};
const MINUTE = 60_000;
const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const schedule = (overlap: Schedule["overlap"], more: Partial<Schedule> = {}): Schedule => ({
  name: "report",
  orchestrator: "reportJob",
  schedule: "0 * * * * *",
  input: { items: 2 },
  overlap,
  catchUpWindowMs: 0,
  timeZone: "UTC",
  timerSchedule: "0 * * * * *",
  ...more,
});
const runStarts = (fake: FakeCoordinator) => fake.starts.filter((s) => s.orchestrator === "reportJob");
const at = (minute: number, ms = 0) => ({
  scheduledAt: T0 + minute * MINUTE,
  firedAt: T0 + minute * MINUTE + ms,
});

test.each([2, 3, 4, 5])("the same scheduled time fired %i times at once starts one run", async (n) => {
  const fake = new FakeCoordinator();
  fake.confirmRuns = true; // the run's orchestration confirms it, so every firing learns it started
  const results = await Promise.all(
    Array.from({ length: n }, (_, i) => tickJob(fake.client(), schedule("skip"), at(0, i * 300), options)),
  );
  expect(runStarts(fake)).toEqual([
    {
      orchestrator: "reportJob",
      instanceId: "report:1",
      input: { job: "report", generation: 1, input: { items: 2 } },
    },
  ]);
  // Exactly one firing started it; every firing knows the tick's outcome and its run.
  expect(results.filter((r) => r.kind === "decided" && r.startedRun)).toHaveLength(1);
  for (const r of results) {
    expect(r).toMatchObject({ outcome: "started", decision: { kind: "started", generation: 1 } });
  }
  const state = fake.states.get("report")!;
  expect(state.ticks).toEqual({ last: T0, outcome: "started", missed: 0 });
  expect(state.events.filter(([, type]) => type.startsWith("tick:"))).toEqual([
    [fake.now, "tick:started", 1, "2030-01-01T12:00:00Z"],
  ]);
  expect(state.counters).toMatchObject({ accepted: 1, rejected: 0 });
});

test("a twin firing that decided the time first and died before starting its run: the other firing never claims the run started", async () => {
  const fake = new FakeCoordinator();
  // The twin's decision (its ticket dies with it: the run is never started).
  fake.apply("report", "tick", { ...tickInputOf(schedule("skip"), at(0)), starter: "dead" });
  const leaseUntil = fake.states.get("report")!.active!.leaseUntil;
  const result = await tickJob(fake.client(), schedule("skip"), at(0, 300), options);
  expect(result).toEqual({
    kind: "duplicate",
    scheduledAt: T0,
    outcome: "started",
    catchUp: false,
    awaitingStartUntil: leaseUntil,
  });
  expect(runStarts(fake)).toEqual([]);
  // Once its lease ended, a firing (or a follow-up) is told the run was given up; the next tick runs the job.
  fake.now = leaseUntil;
  expect(await tickJob(fake.client(), schedule("skip"), at(0, 400), options)).toMatchObject({
    kind: "duplicate",
    abandoned: true,
  });
  expect(
    await runFollowUp(fake, {
      kind: "tick",
      job: "report",
      tick: { ...tickInputOf(schedule("skip"), at(0)), starter: "f" },
    }),
  ).toEqual({ kind: "tick", result: { duplicate: true, outcome: "started", abandoned: true } });
  const next = await tickJob(
    fake.client(),
    schedule("skip"),
    { scheduledAt: T0 + MINUTE, firedAt: leaseUntil },
    options,
  );
  expect(next).toMatchObject({
    kind: "decided",
    outcome: "started",
    decision: { kind: "started", generation: 2 },
  });
  expect(runStarts(fake).map((s) => s.instanceId)).toEqual(["report:2"]);
  expect(fake.states.get("report")!.counters.leaseExpired).toBe(1);
});

test("a follow-up of a tick whose twin still has to start the run waits for its confirm (a durable timer) before telling it", async () => {
  const fake = new FakeCoordinator();
  fake.apply("report", "tick", { ...tickInputOf(schedule("skip"), at(0)), starter: "twin" });
  const leaseUntil = fake.states.get("report")!.active!.leaseUntil;
  // The twin is slow, not dead: it starts the run and the run confirms while the follow-up's timer waits.
  const steps: string[] = [];
  const followUp = await runFollowUp(
    fake,
    { kind: "tick", job: "report", tick: { ...tickInputOf(schedule("skip"), at(0)), starter: "f" } },
    (step) => {
      steps.push(step.kind);
      if (step.kind === "waitUntil") {
        expect(step.at).toBe(leaseUntil);
        fake.apply("report", "confirm", { generation: 1, instanceId: "report:1" });
      }
    },
  );
  expect(steps).toEqual(["callEntity", "waitUntil", "callEntity"]);
  expect(followUp).toEqual({
    kind: "tick",
    result: {
      duplicate: true,
      outcome: "started",
      decision: { kind: "started", generation: 1, instanceId: "report:1" },
    },
  });
});

test("a firing just before its time, and one well inside it, are the same tick", async () => {
  const fake = new FakeCoordinator();
  const first = await fireSchedule(fake.client(), schedule("skip"), T0 + 5 * MINUTE - 400, false, options);
  const second = await fireSchedule(
    fake.client(),
    schedule("skip"),
    T0 + 5 * MINUTE + 30_000,
    false,
    options,
  );
  expect(first).toMatchObject({ kind: "decided", scheduledAt: T0 + 5 * MINUTE, outcome: "started" });
  expect(second).toMatchObject({ kind: "duplicate", scheduledAt: T0 + 5 * MINUTE, outcome: "started" });
  expect(second).not.toHaveProperty("startedRun");
  expect(runStarts(fake)).toHaveLength(1);
});

test("skip while held, and the next tick after the run ended starts the next generation", async () => {
  const fake = new FakeCoordinator();
  const client = fake.client();
  await tickJob(client, schedule("skip"), at(0), options);
  fake.apply("report", "confirm", { generation: 1, instanceId: "report:1" });
  expect(await tickJob(client, schedule("skip"), at(1), options)).toEqual({
    kind: "decided",
    scheduledAt: T0 + MINUTE,
    outcome: "skipped",
    catchUp: false,
  });
  fake.apply("report", "complete", { generation: 1, outcome: "completed" });
  expect(await tickJob(client, schedule("skip"), at(2), options)).toMatchObject({
    kind: "decided",
    outcome: "started",
    decision: { generation: 2 },
    startedRun: { generation: 2, instanceId: "report:2" },
  });
});

test("replace: the firing terminates the replaced run and starts the new one", async () => {
  const fake = new FakeCoordinator();
  const client = fake.client();
  await tickJob(client, schedule("replace"), at(0), options);
  fake.apply("report", "confirm", { generation: 1, instanceId: "report:1" });
  const replaced = await tickJob(client, schedule("replace"), at(1), options);
  expect(replaced).toMatchObject({
    outcome: "replaced",
    decision: { kind: "started", generation: 2, replaced: { generation: 1, instanceId: "report:1" } },
    startedRun: { generation: 2 },
  });
  expect(fake.terminations).toEqual(["report:1"]);
  expect(fake.instances.get("report:1")?.status).toBe("Terminated");
  expect(runStarts(fake).map((s) => s.instanceId)).toEqual(["report:1", "report:2"]);
});

test("a holder whose orchestration ended without reporting is reconciled, and the tick starts a run", async () => {
  const fake = new FakeCoordinator();
  const client = fake.client();
  await tickJob(client, schedule("skip"), at(0), options);
  fake.apply("report", "confirm", { generation: 1, instanceId: "report:1" });
  fake.instances.get("report:1")!.status = "Terminated";
  expect(await tickJob(client, schedule("skip"), at(1), options)).toMatchObject({
    outcome: "started",
    startedRun: { generation: 2 },
  });
  expect(fake.states.get("report")?.lastFinished).toMatchObject({ generation: 1, outcome: "terminated" });
});

test("a paused job: the tick is recorded as paused and nothing starts", async () => {
  const fake = new FakeCoordinator();
  fake.apply("report", "pause", { requestId: "p", by: "ops" });
  expect(await tickJob(fake.client(), schedule("replace"), at(0), options)).toEqual({
    kind: "decided",
    scheduledAt: T0,
    outcome: "paused",
    catchUp: false,
  });
  expect(runStarts(fake)).toEqual([]);
});

test("a binding-level gap: past due after 10 unseen ticks, one catch-up inside the window, none outside", async () => {
  for (const [windowMs, expected] of [
    [15 * MINUTE, { outcome: "started", catchUp: true }],
    [0, { outcome: "missed", catchUp: false, missed: { first: T0 + MINUTE, count: 10 } }],
  ] as const) {
    const fake = new FakeCoordinator();
    const client = fake.client();
    const s = schedule("skip", { catchUpWindowMs: windowMs });
    await fireSchedule(client, s, T0, false, options);
    fake.apply("report", "confirm", { generation: 1, instanceId: "report:1" });
    fake.apply("report", "complete", { generation: 1, outcome: "completed" });
    const result = await fireSchedule(client, s, T0 + 10 * MINUTE + 20_000, true, options);
    expect(result).toMatchObject({ kind: "decided", scheduledAt: T0 + 10 * MINUTE, ...expected });
    expect(runStarts(fake)).toHaveLength(windowMs > 0 ? 2 : 1);
  }
});

test("an entity that does not answer in time: the follow-up decides the tick once and starts its run", async () => {
  const fake = new FakeCoordinator();
  fake.processing = false;
  const result = await tickJob(fake.client(), schedule("skip"), at(0), options);
  expect(result).toMatchObject({ kind: "pending", scheduledAt: T0, requestId: "tick:2030-01-01T12:00:00Z" });
  // The late signal and a duplicate firing arrive too: still one decision, one run.
  fake.processing = true;
  fake.deliverHeld();
  const pending = followUpInput(fake, followUpPrefix("report", "tick:2030-01-01T12:00:00Z"));
  expect(pending).toMatchObject({ kind: "tick", job: "report", tick: { scheduledAt: T0 } });
  const followUp = await runFollowUp(fake, pending);
  expect(followUp).toEqual({
    kind: "tick",
    result: {
      duplicate: true,
      outcome: "started",
      decision: { kind: "started", generation: 1, instanceId: "report:1" },
    },
  });
  expect(await tickJob(fake.client(), schedule("skip"), at(0, 10), options)).toMatchObject({
    kind: "duplicate",
  });
  expect(runStarts(fake)).toHaveLength(1);
  expect(fake.starts.filter((s) => s.orchestrator === FOLLOW_UP_ORCHESTRATOR)).toHaveLength(1);
});
