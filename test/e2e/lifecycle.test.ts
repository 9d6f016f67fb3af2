/**
 * The coordinator's lifecycle end to end on the devhost: completion, failure, outside termination,
 * a starter that died after acceptance (lease take-over and a superseded late start), and the policies.
 */
import { AppClient, WEBHOOKS } from "./appHost";

let app: AppClient;

beforeAll(async () => {
  app = await AppClient.start();
});
afterAll(() => app.stop());

const hold = (extra: Record<string, unknown> = {}) => ({
  orchestrator: "reportJob",
  input: { waitForEvent: "go" },
  ...extra,
});

async function history(instanceId: string): Promise<{ EventType: string; Name?: string }[]> {
  const res = await app.instance(instanceId, "?showHistory=true");
  return res.body.historyEvents as { EventType: string; Name?: string }[];
}

test("after the holder completes, a new start succeeds with the next generation", async () => {
  expect((await app.startJob("complete-then-start", { orchestrator: "reportJob" })).status).toBe(202);
  await app.idle();
  expect((await app.instance("complete-then-start:1")).body).toMatchObject({ runtimeStatus: "Completed" });
  const again = await app.startJob("complete-then-start", { orchestrator: "reportJob" });
  expect(again.status).toBe(202);
  expect(again.body).toMatchObject({ generation: 2, instanceId: "complete-then-start:2" });
  await app.idle();
  const state = await app.jobState("complete-then-start");
  expect(state.body).toMatchObject({ generation: 2, counters: { accepted: 2, completed: 2, failed: 0 } });
  expect(state.body.active).toBeUndefined();
});

test("a failed run releases the lock and shows Failed", async () => {
  const res = await app.startJob("fails", { orchestrator: "reportJob", input: { failAt: "publish" } });
  expect(res.status).toBe(202);
  await app.idle();
  const status = await app.instance("fails:1");
  expect(status.body.runtimeStatus).toBe("Failed");
  expect(JSON.stringify(status.body.output)).toContain("publish failed as requested");
  const state = await app.jobState("fails");
  expect(state.body.active).toBeUndefined();
  expect(state.body.lastFinished).toMatchObject({ generation: 1, outcome: "failed" });
  expect((state.body.lastFinished as { summary: string }).summary).toContain("publish failed as requested");
  expect((await app.startJob("fails", { orchestrator: "reportJob" })).status).toBe(202);
});

test("a holder terminated from outside is reconciled by the next start", async () => {
  expect((await app.startJob("terminated", hold())).status).toBe(202);
  await app.idle();
  expect((await app.terminate("terminated:1")).status).toBe(202);
  await app.idle();
  const next = await app.startJob("terminated", hold());
  expect(next.status).toBe(202);
  expect(next.body).toMatchObject({ generation: 2 });
  const state = await app.jobState("terminated");
  expect(state.body.lastFinished).toMatchObject({ generation: 1, outcome: "terminated" });
  expect(state.body.counters).toMatchObject({ reconciled: 1 });
  await app.raiseEvent("terminated:2", "go");
  await app.idle();
});

test("a starter that died after acceptance: the lease lets the next start win; the late run is superseded", async () => {
  // A starter's tryStart reached the entity, then the starter died before startNew.
  const signal = await app.post(`${WEBHOOKS}/entities/jobCoordinator/crashy?op=tryStart`, {
    requestId: "dead-starter",
    orchestrator: "reportJob",
    policy: "reject",
  });
  expect(signal.status).toBe(202);
  await app.idle();
  const blocked = await app.startJob("crashy", { orchestrator: "reportJob" });
  expect(blocked.status).toBe(409);
  expect(blocked.body.holder).toMatchObject({ generation: 1, phase: "starting" });

  await app.advance(60_001); // the default lease is 60 s
  const winner = await app.startJob("crashy", hold());
  expect(winner.status).toBe(202);
  expect(winner.body).toMatchObject({ generation: 2, instanceId: "crashy:2" });
  await app.idle();

  // The dead starter's orchestration starts late after all: it is told superseded and runs no user code.
  const late = await app.post(`${WEBHOOKS}/orchestrators/reportJob/crashy:1`, {
    job: "crashy",
    generation: 1,
    input: {},
  });
  expect(late.status).toBe(202);
  await app.idle();
  expect((await app.instance("crashy:1")).body).toMatchObject({
    runtimeStatus: "Completed",
    output: { superseded: true, job: "crashy", generation: 1 },
  });
  expect((await history("crashy:1")).filter((e) => e.EventType === "TaskScheduled")).toEqual([]);
  const state = await app.jobState("crashy");
  expect(state.body.active).toMatchObject({ generation: 2, phase: "running" });
  expect(state.body.counters).toMatchObject({ leaseExpired: 1, superseded: 1 });
  await app.raiseEvent("crashy:2", "go");
  await app.idle();
});

describe("policies", () => {
  test("useExisting answers 200 with the live run", async () => {
    expect((await app.startJob("use-existing", hold())).status).toBe(202);
    await app.idle();
    const res = await app.startJob("use-existing", { orchestrator: "reportJob", policy: "useExisting" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: "existing",
      generation: 1,
      instanceId: "use-existing:1",
      phase: "running",
    });
    await app.raiseEvent("use-existing:1", "go");
    await app.idle();
  });

  test("replace terminates the live run and starts a new generation", async () => {
    expect((await app.startJob("replaced", hold())).status).toBe(202);
    await app.idle();
    const res = await app.startJob("replaced", hold({ policy: "replace" }));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ generation: 2, replaced: { generation: 1, instanceId: "replaced:1" } });
    await app.idle();
    expect((await app.instance("replaced:1")).body.runtimeStatus).toBe("Terminated");
    expect((await app.instance("replaced:2")).body.runtimeStatus).toBe("Running");
    await app.raiseEvent("replaced:2", "go");
    await app.idle();
    const state = await app.jobState("replaced");
    expect(state.body.lastFinished).toMatchObject({ generation: 2, outcome: "completed" });
    expect(state.body.counters).toMatchObject({ replaced: 1, completed: 1 });
  });

  test("queue waits for the holder, then the queued request runs by itself", async () => {
    expect((await app.startJob("queued", hold())).status).toBe(202);
    await app.idle();
    const queued = await app.startJob("queued", {
      orchestrator: "reportJob",
      policy: "queue",
      input: { items: 5 },
    });
    expect(queued.status).toBe(202);
    expect(queued.body).toMatchObject({ status: "queued", position: 1, holder: { generation: 1 } });
    const full = await app.startJob("queued", { orchestrator: "reportJob", policy: "queue" });
    expect(full.status).toBe(409);
    expect(full.body.error).toBe("queue full");

    await app.raiseEvent("queued:1", "go");
    await app.idle();
    expect((await app.instance("queued:2")).body).toMatchObject({
      runtimeStatus: "Completed",
      output: { published: 5, total: 55, generation: 2 },
    });
    const state = await app.jobState("queued");
    expect(state.body.active).toBeUndefined();
    expect(state.body.counters).toMatchObject({ accepted: 2, completed: 2, queued: 1 });
  });
});

test("replace over a run whose starter died (never started): the new run still runs", async () => {
  const signal = await app.post(`${WEBHOOKS}/entities/jobCoordinator/replace-dead?op=tryStart`, {
    requestId: "dead-starter",
    orchestrator: "reportJob",
    policy: "reject",
  });
  expect(signal.status).toBe(202);
  await app.idle();
  const res = await app.startJob("replace-dead", { orchestrator: "reportJob", policy: "replace" });
  expect(res.status).toBe(202);
  expect(res.body).toMatchObject({
    generation: 2,
    replaced: { generation: 1, instanceId: "replace-dead:1" },
  });
  await app.idle();
  expect((await app.instance("replace-dead:2")).body).toMatchObject({ runtimeStatus: "Completed" });
  expect((await app.instance("replace-dead:1")).status).toBe(404);
  const state = await app.jobState("replace-dead");
  expect(state.body.lastFinished).toMatchObject({ generation: 2, outcome: "completed" });
});
