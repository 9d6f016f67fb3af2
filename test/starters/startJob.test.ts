/** The starter's algorithm (core/startJob.ts) against an in-memory client: exact decisions, starts and reconciliations. */
import { FOLLOW_UP_ORCHESTRATOR } from "../../core/names";
import { followUpPrefix } from "../../core/runIds";
import { startJob, type StartOptions } from "../../core/startJob";
import type { Policy } from "../../core/types";
import { FakeCoordinator } from "../helpers/fakeCoordinatorClient";
import { followUpInput, runFollowUp } from "../helpers/followUpDriver";

const options: StartOptions = {
  waitBudgetMs: 50,
  poll: { initialMs: 1, maxMs: 4, factor: 2 },
  config: { leaseMs: 60_000, maxQueue: 1 },
};
const req = (requestId: string, policy: Policy = "reject") => ({
  requestId,
  orchestrator: "reportJob",
  policy,
  input: { n: requestId },
});
const runStarts = (fake: FakeCoordinator) => fake.starts.filter((s) => s.orchestrator === "reportJob");

test("64 concurrent starters: exactly one starts, 63 are rejected naming it, and only the winner is recorded", async () => {
  const fake = new FakeCoordinator();
  const client = fake.client();
  const outcomes = await Promise.all(
    Array.from({ length: 64 }, (_, i) => startJob(client, "job", req(`r${i}`), options)),
  );
  const started = outcomes.filter((o) => o.kind === "started");
  expect(started).toEqual([{ kind: "started", generation: 1, instanceId: "job:1" }]);
  const rejected = outcomes.filter((o) => o.kind === "rejected");
  expect(rejected).toHaveLength(63);
  for (const o of rejected)
    expect(o).toMatchObject({ reason: "held", holder: { generation: 1, instanceId: "job:1" } });
  const state = fake.states.get("job")!;
  expect(runStarts(fake)).toEqual([
    {
      orchestrator: "reportJob",
      instanceId: "job:1",
      input: { job: "job", generation: 1, input: { n: state.active!.requestId } },
    },
  ]);
  expect(state.requests).toEqual([[state.active!.requestId, "s", 1]]);
  expect(state.counters).toMatchObject({ accepted: 1, rejected: 63 });
});

test("1,000 concurrent starters on a fresh job: one run, every other request a rejection naming it", async () => {
  const fake = new FakeCoordinator();
  const client = fake.client();
  const outcomes = await Promise.all(
    Array.from({ length: 1000 }, (_, i) =>
      startJob(client, "job", req(`r${i}`), { ...options, waitBudgetMs: 10_000 }),
    ),
  );
  expect(outcomes.filter((o) => o.kind === "started")).toHaveLength(1);
  expect(outcomes.filter((o) => o.kind === "rejected" && o.holder?.generation === 1)).toHaveLength(999);
  expect(runStarts(fake)).toHaveLength(1);
  expect(fake.states.get("job")!.requests).toHaveLength(1);
});

test("a holder whose orchestration was terminated from outside is reconciled and the request decided again", async () => {
  const fake = new FakeCoordinator();
  const client = fake.client();
  await startJob(client, "job", req("a"), options);
  fake.apply("job", "confirm", { generation: 1, instanceId: "job:1" });
  fake.instances.get("job:1")!.status = "Terminated";
  const outcome = await startJob(client, "job", req("b"), options);
  expect(outcome).toEqual({ kind: "started", generation: 2, instanceId: "job:2" });
  expect(fake.states.get("job")?.lastFinished).toMatchObject({ generation: 1, outcome: "terminated" });
  expect(runStarts(fake).map((s) => s.instanceId)).toEqual(["job:1", "job:2"]);
});

test("a live confirmed holder is not reconciled, and useExisting names it", async () => {
  const fake = new FakeCoordinator();
  const client = fake.client();
  await startJob(client, "job", req("a"), options);
  fake.apply("job", "confirm", { generation: 1, instanceId: "job:1" });
  const outcome = await startJob(client, "job", req("b", "useExisting"), options);
  expect(outcome).toEqual({
    kind: "existing",
    holder: { generation: 1, instanceId: "job:1", phase: "running", orchestrator: "reportJob" },
  });
  expect(fake.states.get("job")?.counters).toMatchObject({ reconciled: 0, existing: 1 });
});

test("no decision within the wait budget: pending, handed to a follow-up with the starter's ticket, which starts the run once", async () => {
  const fake = new FakeCoordinator();
  fake.processing = false;
  const outcome = await startJob(fake.client(), "job", req("k"), options);
  expect(outcome).toEqual({ kind: "pending", requestId: "k", ticket: "t1" });
  expect(fake.starts.map((s) => [s.orchestrator, s.instanceId])).toEqual([
    [FOLLOW_UP_ORCHESTRATOR, `${followUpPrefix("job", "k")}t1`],
  ]);
  // The starter's own signal arrives late and wins; the follow-up finds its decision and starts the run.
  fake.deliverHeld();
  const result = await runFollowUp(fake, followUpInput(fake, followUpPrefix("job", "k")));
  expect(result).toEqual({
    kind: "start",
    decision: { kind: "started", generation: 1, instanceId: "job:1" },
  });
  expect(runStarts(fake)).toEqual([
    {
      orchestrator: "reportJob",
      instanceId: "job:1",
      input: { job: "job", generation: 1, input: { n: "k" } },
    },
  ]);
});

test("a follow-up decided before the starter's late signal: the late signal is outdated and decides nothing", async () => {
  const fake = new FakeCoordinator();
  fake.processing = false;
  await startJob(fake.client(), "job", req("k"), options);
  const result = await runFollowUp(fake, followUpInput(fake, followUpPrefix("job", "k")));
  expect(result).toEqual({
    kind: "start",
    decision: { kind: "started", generation: 1, instanceId: "job:1" },
  });
  fake.deliverHeld();
  const state = fake.states.get("job")!;
  expect(state.counters).toMatchObject({ accepted: 1, outdated: 0 });
  expect(state.generation).toBe(1);
  expect(runStarts(fake).map((s) => s.instanceId)).toEqual(["job:1"]);
});

test("concurrent requests with the same key: one run, started once, every caller told the same decision", async () => {
  const fake = new FakeCoordinator();
  // The callers that did not start the run are told "started" once it confirms (it exists by then).
  fake.confirmRuns = true;
  const client = fake.client();
  const outcomes = await Promise.all(
    Array.from({ length: 10 }, () => startJob(client, "job", req("same"), options)),
  );
  for (const o of outcomes) expect(o).toEqual({ kind: "started", generation: 1, instanceId: "job:1" });
  expect(runStarts(fake)).toHaveLength(1);
  expect(fake.states.get("job")!.counters.accepted).toBe(1);
});

test("a retry after the run finished gets its decision again and does not start the finished instance again", async () => {
  const fake = new FakeCoordinator();
  const client = fake.client();
  await startJob(client, "job", req("k"), options);
  fake.apply("job", "confirm", { generation: 1, instanceId: "job:1" });
  fake.apply("job", "complete", { generation: 1, outcome: "completed" });
  fake.instances.get("job:1")!.status = "Completed";
  expect(await startJob(client, "job", req("k"), options)).toEqual({
    kind: "started",
    generation: 1,
    instanceId: "job:1",
  });
  expect(runStarts(fake)).toHaveLength(1);
  expect(fake.instances.get("job:1")!.status).toBe("Completed");
});

test("replace terminates the old run and starts the new generation", async () => {
  const fake = new FakeCoordinator();
  const client = fake.client();
  await startJob(client, "job", req("a"), options);
  fake.apply("job", "confirm", { generation: 1, instanceId: "job:1" });
  const outcome = await startJob(client, "job", req("b", "replace"), options);
  expect(outcome).toEqual({
    kind: "started",
    generation: 2,
    instanceId: "job:2",
    replaced: { generation: 1, instanceId: "job:1" },
  });
  expect(fake.terminations).toEqual(["job:1"]);
  expect(fake.instances.get("job:2")?.status).toBe("Running");
});

test("concurrent replace requests: one replaces the holder, the others are told it was taken in between", async () => {
  const fake = new FakeCoordinator();
  const client = fake.client();
  await startJob(client, "job", req("a"), options);
  fake.apply("job", "confirm", { generation: 1, instanceId: "job:1" });
  const outcomes = await Promise.all(
    Array.from({ length: 20 }, (_, i) => startJob(client, "job", req(`x${i}`, "replace"), options)),
  );
  expect(outcomes.filter((o) => o.kind === "started")).toEqual([
    expect.objectContaining({ generation: 2, replaced: { generation: 1, instanceId: "job:1" } }),
  ]);
  const conflicts = outcomes.filter((o) => o.kind === "rejected" && o.reason === "conflict");
  expect(conflicts).toHaveLength(19);
  for (const o of conflicts) expect(o).toMatchObject({ holder: { generation: 2 } });
  expect(fake.states.get("job")!.generation).toBe(2);
});

test("a starter whose reconcile promotes a queued request starts that promoted run", async () => {
  const fake = new FakeCoordinator();
  const client = fake.client();
  await startJob(client, "job", req("a"), options);
  fake.apply("job", "confirm", { generation: 1, instanceId: "job:1" });
  expect(await startJob(client, "job", req("q", "queue"), options)).toMatchObject({
    kind: "queued",
    position: 1,
  });
  fake.instances.get("job:1")!.status = "Failed";
  const outcome = await startJob(client, "job", req("c"), options);
  // The queued request goes first; this one is rejected by the promoted run, which it started.
  expect(outcome).toMatchObject({ kind: "rejected", holder: { generation: 2, instanceId: "job:2" } });
  expect(runStarts(fake).at(-1)).toEqual({
    orchestrator: "reportJob",
    instanceId: "job:2",
    input: { job: "job", generation: 2, input: { n: "q" } },
  });
});

test("a starter that died after acceptance: after the lease the next start wins", async () => {
  const fake = new FakeCoordinator({ leaseMs: 1000, maxQueue: 1 });
  fake.apply("job", "tryStart", { ...req("crashed"), starter: "dead" }); // accepted, never started
  expect(await startJob(fake.client(), "job", req("b"), { ...options, config: fake.config })).toMatchObject({
    kind: "rejected",
  });
  fake.now += 1000;
  expect(await startJob(fake.client(), "job", req("c"), { ...options, config: fake.config })).toEqual({
    kind: "started",
    generation: 2,
    instanceId: "job:2",
  });
  expect(fake.states.get("job")?.lastFinished).toMatchObject({ generation: 1, outcome: "abandoned" });
});

test("a queued request whose holder turns out dead is promoted by its own reconcile and started at once", async () => {
  const fake = new FakeCoordinator();
  const client = fake.client();
  await startJob(client, "job", req("a"), options);
  fake.apply("job", "confirm", { generation: 1, instanceId: "job:1" });
  fake.instances.get("job:1")!.status = "Terminated";
  const outcome = await startJob(client, "job", req("q", "queue"), options);
  expect(outcome).toEqual({ kind: "started", generation: 2, instanceId: "job:2" });
  expect(runStarts(fake).at(-1)).toEqual({
    orchestrator: "reportJob",
    instanceId: "job:2",
    input: { job: "job", generation: 2, input: { n: "q" } },
  });
});

test("a fixed instance id still held by the previous generation's last episode: the start waits for it", async () => {
  const fake = new FakeCoordinator();
  const client = fake.client();
  const seed = (id: string) => ({ ...req(id), instanceId: "x" });
  await startJob(client, "x", seed("a"), options);
  fake.apply("x", "confirm", { generation: 1, instanceId: "x" });
  fake.apply("x", "complete", { generation: 1, outcome: "completed" }); // reported; its instance still runs
  let polls = 0;
  const inner = client.instance;
  client.instance = async (id) => {
    if (++polls === 2) fake.instances.get("x")!.status = "Completed"; // the last episode ends
    return inner(id);
  };
  expect(await startJob(client, "x", seed("b"), options)).toEqual({
    kind: "started",
    generation: 2,
    instanceId: "x",
  });
  expect(runStarts(fake).map((s) => (s.input as { generation: number }).generation)).toEqual([1, 2]);
});

test("a starter whose clock runs ahead of the entity's predicts a lease takeover once, then answers as the entity sees it", async () => {
  const fake = new FakeCoordinator({ leaseMs: 1000, maxQueue: 1 });
  const client = fake.client();
  await startJob(client, "job", req("a"), { ...options, config: fake.config });
  const ahead = { ...client, now: () => fake.now + 5000 }; // 5 s ahead: the holder's lease looks expired
  const outcome = await startJob(ahead, "job", req("b"), { ...options, config: fake.config });
  expect(outcome).toMatchObject({ kind: "rejected", reason: "held", holder: { generation: 1 } });
  expect(fake.states.get("job")?.seq).toBe(2); // one compare-and-set the entity decided as a rejection
});

/** The client, with a starter's clock `aheadMs` ahead of the entity's, failing on a storm of signals. */
function guardedClient(fake: FakeCoordinator, aheadMs: number, beforeFirstTryStart?: () => void) {
  const client = fake.client();
  let signals = 0;
  return {
    ...client,
    now: () => fake.now + aheadMs,
    signal: async (...args: Parameters<typeof client.signal>) => {
      if (++signals > 20) throw new Error(`signal storm: ${signals} signals`);
      if (args[1] === "tryStart" && signals === 1) beforeFirstTryStart?.();
      return client.signal(...args);
    },
    signals: () => signals,
  };
}

test("a retry of an unconfirmed request whose lease looks ended on the starter's clock but not the entity's: no signal storm; pending, and its follow-up decides it afresh once the lease ends", async () => {
  const fake = new FakeCoordinator({ leaseMs: 1000, maxQueue: 1 });
  fake.apply("job", "tryStart", { ...req("a"), starter: "dead" }); // accepted, its starter died before starting it
  const ahead = guardedClient(fake, 5000);
  const outcome = await startJob(ahead, "job", req("a"), { ...options, config: fake.config });
  // The entity answers the retry with its standing decision (nothing changes); the starter cannot tell
  // from the state, so it waits out its budget instead of signalling again and again.
  expect(outcome).toEqual({ kind: "pending", requestId: "a", ticket: "t1" });
  expect(ahead.signals()).toBe(1);
  const result = await runFollowUp(fake, followUpInput(fake, followUpPrefix("job", "a")));
  expect(result).toEqual({
    kind: "start",
    decision: { kind: "started", generation: 2, instanceId: "job:2" },
  });
  expect(runStarts(fake).map((s) => s.instanceId)).toEqual(["job:2"]);
});

test("a retry of an unconfirmed request whose lease ended, on a job paused meanwhile: no signal storm", async () => {
  const fake = new FakeCoordinator({ leaseMs: 1000, maxQueue: 1 });
  fake.apply("job", "tryStart", { ...req("a"), starter: "dead" });
  fake.now += 1000; // the lease ended, on both clocks
  // The job is paused between the starter's read and its compare-and-set (which is then outdated): the
  // starter must not take that step for the entity seeing the holder's lease running and spin on it.
  const client = guardedClient(fake, 0, () => fake.apply("job", "pause", { requestId: "p", by: "ops" }));
  const outcome = await startJob(client, "job", req("a"), { ...options, config: fake.config });
  expect(["rejected", "pending"]).toContain(outcome.kind);
  expect(client.signals()).toBeLessThanOrEqual(3);
  expect(runStarts(fake)).toEqual([]);
});
