/** The starter's algorithm against an in-memory client: exact decisions, starts and reconciliations. */
import { startJob, type StartOptions } from "../../core/startJob";
import { FakeCoordinator } from "../helpers/fakeCoordinatorClient";

const options: StartOptions = { waitBudgetMs: 50, poll: { initialMs: 1, maxMs: 4, factor: 2 } };
const req = (requestId: string, policy: "reject" | "useExisting" | "replace" | "queue" = "reject") => ({
  requestId,
  orchestrator: "reportJob",
  policy,
  input: { n: requestId },
});

test("64 concurrent starters: exactly one starts, 63 are rejected naming the same holder", async () => {
  const fake = new FakeCoordinator();
  const client = fake.client();
  const outcomes = await Promise.all(
    Array.from({ length: 64 }, (_, i) => startJob(client, "job", req(`r${i}`), options)),
  );
  const started = outcomes.filter((o) => o.kind === "started");
  expect(started).toHaveLength(1);
  expect(outcomes.filter((o) => o.kind === "rejected")).toHaveLength(63);
  for (const o of outcomes) if (o.kind === "rejected") expect(o.holder.generation).toBe(1);
  expect(fake.starts).toEqual([
    {
      orchestrator: "reportJob",
      instanceId: "job:1",
      envelope: {
        job: "job",
        generation: 1,
        input: started[0].kind === "started" ? { n: fake.states.get("job")?.active?.requestId } : undefined,
      },
    },
  ]);
});

test("a holder whose orchestration was terminated from outside is reconciled and the request re-decided", async () => {
  const fake = new FakeCoordinator();
  const client = fake.client();
  await startJob(client, "job", req("a"), options);
  fake.apply("job", "confirm", { generation: 1, instanceId: "job:1" });
  fake.instances.get("job:1")!.status = "Terminated";
  const outcome = await startJob(client, "job", req("b"), options);
  expect(outcome).toEqual({ kind: "started", generation: 2, instanceId: "job:2" });
  expect(fake.states.get("job")?.lastFinished).toMatchObject({ generation: 1, outcome: "terminated" });
  expect(fake.starts.map((s) => s.instanceId)).toEqual(["job:1", "job:2"]);
});

test("a live confirmed holder is not reconciled", async () => {
  const fake = new FakeCoordinator();
  const client = fake.client();
  await startJob(client, "job", req("a"), options);
  fake.apply("job", "confirm", { generation: 1, instanceId: "job:1" });
  const outcome = await startJob(client, "job", req("b", "useExisting"), options);
  expect(outcome).toMatchObject({
    kind: "existing",
    holder: { generation: 1, instanceId: "job:1", phase: "running" },
  });
  expect(fake.states.get("job")?.counters.reconciled).toBe(0);
});

test("no decision within the wait budget is a timeout, and a retry with the same key gets the decision", async () => {
  const fake = new FakeCoordinator();
  fake.processing = false;
  expect(await startJob(fake.client(), "job", req("k"), options)).toEqual({
    kind: "timeout",
    requestId: "k",
  });
  fake.processing = true;
  expect(await startJob(fake.client(), "job", req("k"), options)).toEqual({
    kind: "started",
    generation: 1,
    instanceId: "job:1",
  });
  // The same key again: same decision, and the run is not started a second time.
  fake.apply("job", "confirm", { generation: 1, instanceId: "job:1" });
  expect(await startJob(fake.client(), "job", req("k"), options)).toEqual({
    kind: "started",
    generation: 1,
    instanceId: "job:1",
  });
  expect(fake.starts).toHaveLength(1);
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
  // The queued request goes first; this one is rejected by the promoted run, which it starts.
  expect(outcome).toMatchObject({ kind: "rejected", holder: { generation: 2, instanceId: "job:2" } });
  expect(fake.starts.at(-1)).toEqual({
    orchestrator: "reportJob",
    instanceId: "job:2",
    envelope: { job: "job", generation: 2, input: { n: "q" } },
  });
});

test("a starter that died after acceptance: after the lease the next start wins", async () => {
  const fake = new FakeCoordinator({ leaseMs: 1000, maxQueue: 1 });
  fake.apply("job", "tryStart", req("crashed")); // accepted, never started
  expect(await startJob(fake.client(), "job", req("b"), options)).toMatchObject({ kind: "rejected" });
  fake.now += 1000;
  expect(await startJob(fake.client(), "job", req("c"), options)).toEqual({
    kind: "started",
    generation: 2,
    instanceId: "job:2",
  });
  expect(fake.states.get("job")?.lastFinished).toMatchObject({ generation: 1, outcome: "abandoned" });
});

test("a promoted run nobody started is started by the next starter once it is 2 s old, not before", async () => {
  const fake = new FakeCoordinator();
  const client = fake.client();
  await startJob(client, "job", req("a"), options);
  fake.apply("job", "confirm", { generation: 1, instanceId: "job:1" });
  await startJob(client, "job", req("q", "queue"), options);
  fake.apply("job", "complete", { generation: 1, outcome: "completed" }); // promotes q; its starter activity is lost
  fake.instances.get("job:1")!.status = "Completed";
  expect(await startJob(client, "job", req("early"), options)).toMatchObject({
    kind: "rejected",
    holder: { generation: 2 },
  });
  expect(fake.starts.map((s) => s.instanceId)).toEqual(["job:1"]);
  fake.now += 2000;
  expect(await startJob(client, "job", req("late"), options)).toMatchObject({
    kind: "rejected",
    holder: { generation: 2 },
  });
  expect(fake.starts.at(-1)).toEqual({
    orchestrator: "reportJob",
    instanceId: "job:2",
    envelope: { job: "job", generation: 2, input: { n: "q" } },
  });
});

test("a queued request whose holder turns out dead is promoted by its own reconcile and started at once", async () => {
  const fake = new FakeCoordinator();
  const client = fake.client();
  await startJob(client, "job", req("a"), options);
  fake.apply("job", "confirm", { generation: 1, instanceId: "job:1" });
  fake.instances.get("job:1")!.status = "Terminated";
  const outcome = await startJob(client, "job", req("q", "queue"), options);
  expect(outcome).toEqual({ kind: "started", generation: 2, instanceId: "job:2" });
  expect(fake.starts.at(-1)).toEqual({
    orchestrator: "reportJob",
    instanceId: "job:2",
    envelope: { job: "job", generation: 2, input: { n: "q" } },
  });
});
