/**
 * Entity critical sections: `context.df.lock(...)` (durable-functions 3.5, OOProc schema V4: LockEntities /
 * ReleaseEntities actions, Azure/azure-functions-durable-extension#3453, which hands them to
 * DurableOrchestrationContext.LockAsync / ReleaseLocks). Sources for the expected results:
 * - an entity locked by an orchestration runs only that orchestration's operations until it releases the
 *   lock; everyone else's wait in its queue (SchedulerState.MayDequeue; DurableTaskExtension puts the lock
 *   holder's messages at the front of the queue);
 * - locks are taken one entity at a time in sorted order, by one lock request forwarded along the set
 *   (LockAsync, TaskEntityShim.ProcessLockRequest), then released with one message per entity;
 * - locks still held when the orchestrator completes are released by the host (TaskOrchestrationShim calls
 *   ReleaseLocks after the user code); an orchestrator that fails skips that, so its locks stay held.
 */
import * as df from "durable-functions";
import { startFeatures, type Features } from "./featuresHost";

let f: Features;

afterEach(async () => {
  await f.stop();
});

const account = (id: string) => new df.EntityId("account", id);

async function balance(id: string): Promise<unknown> {
  return (await f.client.readEntityState(account(id))).entityState;
}

async function fund(id: string, amount: number): Promise<void> {
  await f.client.signalEntity(account(id), "deposit", amount);
  await f.host.waitForIdle();
}

test("while an audit holds an account, other callers wait; its own calls go first; release lets them in", async () => {
  f = await startFeatures();
  await fund("alice", 100);
  const audit = await f.client.startNew("audit", { input: "alice" });
  await f.host.waitForIdle();
  expect((await f.client.getStatus(audit)).customStatus).toEqual({ auditing: "alice", balance: 100 });

  // A client signal and another orchestration's call arrive while the lock is held: both wait.
  await f.client.signalEntity(account("alice"), "deposit", 5);
  const reader = await f.client.startNew("readBalance", { input: "alice" });
  await f.host.waitForIdle();
  expect(await balance("alice")).toBe(100);
  expect((await f.client.getStatus(reader)).runtimeStatus).toBe("Running");

  await f.client.raiseEvent(audit, "done", null);
  await f.host.waitForIdle();
  // The audit's second read ran ahead of the queued deposit: the lock holder's messages go first.
  expect((await f.client.getStatus(audit)).output).toEqual({
    balance: 100,
    after: 100,
    lockedAfterRelease: false,
  });
  // Released: the queued deposit ran, then the read (in arrival order).
  expect(await balance("alice")).toBe(105);
  expect((await f.client.getStatus(reader)).output).toBe(105);
});

/** Lets reviews (one-second timers) run out, one after the other. */
async function reviewAll(rounds: number): Promise<void> {
  for (let i = 0; i < rounds; i++) await f.host.advanceTime(1000);
}

test("concurrent transfers from one account never overdraw it", async () => {
  f = await startFeatures();
  await fund("alice", 100);
  const ids = await Promise.all(
    [1, 2, 3].map((n) =>
      f.client.startNew("transfer", { instanceId: `t${n}`, input: { from: "alice", to: "bob", amount: 60 } }),
    ),
  );
  await f.host.waitForIdle();
  // All three asked; one holds both accounts through its review, the others have not read the balance yet.
  expect(await balance("alice")).toBe(100);
  await reviewAll(1);
  const outputs = await Promise.all(ids.map(async (id) => (await f.client.getStatus(id)).output));
  expect(outputs.filter((o) => (o as { moved: boolean }).moved)).toEqual([{ moved: true, inSection: true }]);
  expect(outputs.filter((o) => !(o as { moved: boolean }).moved)).toEqual([
    { moved: false, balance: 40 },
    { moved: false, balance: 40 },
  ]);
  expect([await balance("alice"), await balance("bob")]).toEqual([40, 60]);
});

test("concurrent transfers stay serialized on a slow backend with reordered messages", async () => {
  f = await startFeatures({ latency: { minMs: 0, maxMs: 20, seed: 7 } });
  await fund("alice", 100);
  await fund("carol", 100);
  const transfers = [
    { from: "alice", to: "bob", amount: 60 },
    { from: "bob", to: "alice", amount: 30 },
    { from: "alice", to: "carol", amount: 60 },
    { from: "carol", to: "alice", amount: 70 },
  ];
  const ids = await Promise.all(transfers.map((input) => f.client.startNew("transfer", { input })));
  await f.host.waitForIdle();
  await reviewAll(transfers.length);
  const statuses = await Promise.all(ids.map((id) => f.client.getStatus(id)));
  expect(statuses.every((s) => s.runtimeStatus === "Completed")).toBe(true);
  const balances = await Promise.all(["alice", "bob", "carol"].map((id) => balance(id)));
  // Money is conserved and no account went below zero (a withdraw would have thrown).
  expect((balances as number[]).reduce((a, b) => a + b, 0)).toBe(200);
  expect((balances as number[]).every((b) => b >= 0)).toBe(true);
});

test("the lock request goes to the first entity in sorted order; each entity gets a release", async () => {
  f = await startFeatures();
  await fund("zed", 10);
  const id = await f.client.startNew("transfer", { input: { from: "zed", to: "amy", amount: 10 } });
  await f.host.waitForIdle();
  await reviewAll(1);
  expect((await f.client.getStatus(id)).output).toEqual({ moved: true, inSection: true });
  const sent = (await f.history(id))
    .filter((e) => e.EventType === "EventSent")
    .map((e) => [e.Name, e.InstanceId, (e.Input as { op?: string; lockset?: unknown }).op ?? e.Input]);
  expect(sent).toEqual([
    [
      "op",
      "@account@amy",
      {
        id: expect.any(String),
        parent: id,
        parentExecution: expect.any(String),
        lockset: [
          { name: "account", key: "amy" },
          { name: "account", key: "zed" },
        ],
        pos: 0,
      },
    ],
    ["op", "@account@zed", "balance"],
    ["op", "@account@zed", "withdraw"],
    ["op", "@account@amy", "deposit"],
    ["release", "@account@amy", { parent: id, id: expect.any(String) }],
    ["release", "@account@zed", { parent: id, id: expect.any(String) }],
  ]);
  expect([await balance("zed"), await balance("amy")]).toEqual([0, 10]);
});

test("a lock the orchestrator never released is released when it completes", async () => {
  f = await startFeatures();
  await fund("dan", 7);
  const forgetful = await f.client.startNew("forgetfulAudit", { input: "dan" });
  await f.host.waitForIdle();
  expect((await f.client.getStatus(forgetful)).output).toBe(7);
  const releases = (await f.history(forgetful)).filter(
    (e) => e.EventType === "EventSent" && e.Name === "release",
  );
  expect(releases.map((e) => e.InstanceId)).toEqual(["@account@dan"]);
  const reader = await f.client.startNew("readBalance", { input: "dan" });
  await f.host.waitForIdle();
  expect((await f.client.getStatus(reader)).output).toBe(7);
});

test("an orchestrator that fails while holding a lock leaves the entity locked, as on the real host", async () => {
  f = await startFeatures();
  await fund("eve", 3);
  const crashing = await f.client.startNew("crashingAudit", { input: "eve" });
  await f.host.waitForIdle();
  expect((await f.client.getStatus(crashing)).runtimeStatus).toBe("Failed");
  const reader = await f.client.startNew("readBalance", { input: "eve" });
  await f.client.signalEntity(account("eve"), "deposit", 1);
  await f.host.waitForIdle();
  expect((await f.client.getStatus(reader)).runtimeStatus).toBe("Running");
  expect(await balance("eve")).toBe(3);
});
