/**
 * End to end through the real devhost: the durable-app fixture's orchestrations, activities and entities run
 * on the devhost engine, driven by the SDK's own DurableClient over loopback HTTP. Time is virtual: durable
 * timers fire only on `host.advanceTime`, and every step is synchronized with `host.waitForIdle()`.
 */
import * as path from "node:path";
import * as df from "durable-functions";
import type { DurableClient } from "durable-functions";
import { startHost, type DevHost } from "../src/host";

const appDir = path.join(__dirname, "fixtures/durable-app");

let host: DevHost;
let client: DurableClient;

/** A DurableClient built from the binding data the host hands the app's functions. */
async function sdkClient(h: DevHost): Promise<DurableClient> {
  const data = (await (await fetch(`${h.baseUrl}/api/clientData`)).json()) as unknown;
  // The package does not export the class; getClient builds it from a function's binding data.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require("durable-functions/lib/src/durableClient/DurableClient") as {
    DurableClient: new (clientData: unknown) => DurableClient;
  };
  return new sdk.DurableClient(data);
}

/**
 * The status API's `historyEvents`, read over HTTP: DurableClient.getStatus drops them (durable-functions
 * 3.5.0 reads `history`, Azure/azure-functions-durable-js#620).
 */
async function historyOf(instanceId: string): Promise<Record<string, unknown>[]> {
  const url = `${host.baseUrl}/runtime/webhooks/durabletask/instances/${instanceId}?showHistory=true`;
  return ((await (await fetch(url)).json()) as { historyEvents: Record<string, unknown>[] }).historyEvents;
}

/** Starts an orchestration, lets the host settle, and returns its status. */
async function run(name: string, input: unknown, instanceId?: string) {
  const id = await client.startNew(name, { input, instanceId });
  await host.waitForIdle();
  return client.getStatus(id);
}

beforeEach(async () => {
  host = await startHost({ appDir, port: 0, virtualTime: true, log: false });
  client = await sdkClient(host);
});

afterEach(async () => {
  await host.stop();
});

describe("every orchestrator action type", () => {
  test("callActivity", async () => {
    const status = await run("hello", "Ada");
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toBe("Hello, Ada!");
  });

  test("callActivityWithRetry: two failures, then success on the third attempt", async () => {
    const id = await client.startNew("retryActivity", { input: { key: "r1", failures: 2, maxAttempts: 5 } });
    await host.waitForIdle();
    expect((await client.getStatus(id)).runtimeStatus).toBe("Running");
    await host.advanceTime(1000);
    expect((await client.getStatus(id)).runtimeStatus).toBe("Running");
    await host.advanceTime(1000);
    const status = await client.getStatus(id);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toBe(3);
  });

  test("callActivityWithRetry: attempts exhausted fails the orchestration with the last error", async () => {
    const id = await client.startNew("retryActivity", { input: { key: "r2", failures: 9, maxAttempts: 2 } });
    await host.waitForIdle();
    await host.advanceTime(1000);
    expect((await client.getStatus(id)).runtimeStatus).toBe("Running");
    // DurableTask waits out the retry interval after the last failed attempt too, before failing the task.
    await host.advanceTime(1000);
    const status = await client.getStatus(id);
    expect(status.runtimeStatus).toBe("Failed");
    expect(String(status.output)).toMatch(
      /^Orchestrator function 'retryActivity' failed: Activity function 'flaky' failed: flaky attempt 2 failed/,
    );
  });

  test("callSubOrchestrator with and without an instance id", async () => {
    const status = await run("parent", undefined, "p1");
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toEqual(["Hello, named!", "Hello, generated!"]);
    const named = await client.getStatus("p1-child");
    expect([named.name, named.runtimeStatus, named.input, named.output]).toEqual([
      "hello",
      "Completed",
      "named",
      "Hello, named!",
    ]);
    const all = await client.getStatusAll();
    expect(all.map((s) => s.instanceId).sort()).toEqual(["p1", "p1-child", "p1:0001"]);
    expect(all.find((s) => s.instanceId === "p1:0001")?.output).toBe("Hello, generated!");
  });

  test("callSubOrchestratorWithRetry (pattern): the child fails twice, then succeeds", async () => {
    const id = await client.startNew("retryParent", { instanceId: "rp" });
    await host.waitForIdle();
    await host.advanceTime(1000);
    await host.advanceTime(1000);
    const status = await client.getStatus(id);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toEqual({ succeededOnAttempt: 3 });
    const children = (await client.getStatusAll())
      .filter((s) => s.instanceId.startsWith("rp:"))
      .sort((a, b) => a.instanceId.localeCompare(b.instanceId));
    expect(children.map((c) => [c.instanceId, c.runtimeStatus])).toEqual([
      ["rp:0000", "Failed"],
      ["rp:0002", "Failed"],
      ["rp:0004", "Completed"],
    ]);
    expect(String(children[0].output)).toMatch(
      /^Orchestrator function 'flakyChild' failed: child attempt 1 failed/,
    );
    expect(String(children[1].output)).toMatch(
      /^Orchestrator function 'flakyChild' failed: child attempt 2 failed/,
    );
    expect(children[2].output).toBe(3);
  });

  test("createTimer fires only when virtual time reaches it", async () => {
    const id = await client.startNew("sleeper");
    await host.waitForIdle();
    // Real time flows under the virtual offset, so stop well short of the due time.
    await host.advanceTime(50000);
    expect((await client.getStatus(id)).runtimeStatus).toBe("Running");
    await host.advanceTime(10000);
    const status = await client.getStatus(id);
    expect(status.runtimeStatus).toBe("Completed");
    const output = status.output as { fireAt: string; resumedOnTime: boolean };
    expect(output.resumedOnTime).toBe(true);
    expect(Date.parse(output.fireAt) - status.createdTime.getTime()).toBeGreaterThanOrEqual(60000);
    const history = await historyOf(id);
    expect(history.map((e) => e.EventType)).toEqual([
      "ExecutionStarted",
      "TimerCreated",
      "TimerFired",
      "ExecutionCompleted",
    ]);
    expect([history[1].FireAt, history[2].FireAt]).toEqual([output.fireAt, output.fireAt]);
  });

  test("waitForExternalEvent and setCustomStatus", async () => {
    const id = await client.startNew("waitForApproval", { input: { order: 7 } });
    await host.waitForIdle();
    const waiting = await client.getStatus(id);
    expect([waiting.runtimeStatus, waiting.customStatus]).toEqual(["Running", "waiting"]);
    await client.raiseEvent(id, "approve", { by: "lead" });
    await host.waitForIdle();
    const done = await client.getStatus(id);
    expect([done.runtimeStatus, done.customStatus]).toEqual(["Completed", "approved"]);
    expect(done.output).toEqual({ input: { order: 7 }, approval: { by: "lead" } });
  });

  test("callEntity and signalEntity from an orchestration", async () => {
    const status = await run("entityOps", "c1");
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toBe(15);
    expect(await client.readEntityState(new df.EntityId("counter", "c1"))).toEqual({
      entityExists: true,
      entityState: 15,
    });
  });

  test("continueAsNew, with the custom status of the last execution", async () => {
    const status = await run("loop", 0);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toBe("done after 3");
    expect(status.input).toBe(3);
    expect(status.customStatus).toEqual({ iteration: 3 });
  });

  test("nested Task.all and Task.any", async () => {
    const status = await run("nested", undefined);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toEqual({ any: 2, all: [4, 6] });
  });

  test("callHttp: a GET of an HTTP function of the same host", async () => {
    const status = await run("httpCaller", `${host.baseUrl}/api/clientData`);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toMatchObject({ statusCode: 200, content: { taskHubName: "DurableFixtureHub" } });
  });
});

describe("patterns", () => {
  test("fan-out/fan-in over 10 activities", async () => {
    const status = await run("fanOutFanIn", 10);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toBe(385);
  });

  test("an approval event beats the deadline; the deadline timer is cancelled", async () => {
    const id = await client.startNew("approvalWithDeadline");
    await host.waitForIdle();
    expect(host.clock.pendingTimers()).toBe(1);
    await client.raiseEvent(id, "approve", "ops");
    await host.waitForIdle();
    expect(host.clock.pendingTimers()).toBe(0);
    const status = await client.getStatus(id);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toEqual({ outcome: "approved", by: "ops" });
    const history = await historyOf(id);
    await host.advanceTime(10 * 60000);
    expect(await historyOf(id)).toEqual(history);
    expect(history.map((e) => e.EventType)).toEqual([
      "ExecutionStarted",
      "TimerCreated",
      "EventRaised",
      "ExecutionCompleted",
    ]);
  });

  test("the deadline passes before any approval", async () => {
    const id = await client.startNew("approvalWithDeadline");
    await host.waitForIdle();
    await host.advanceTime(4 * 60000);
    expect((await client.getStatus(id)).runtimeStatus).toBe("Running");
    await host.advanceTime(60000);
    const status = await client.getStatus(id);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toEqual({ outcome: "timedOut" });
    await client.raiseEvent(id, "approve", "too late");
    await host.waitForIdle();
    expect((await client.getStatus(id)).output).toEqual({ outcome: "timedOut" });
  });

  test("an entity signals another entity: a tally and its audit log", async () => {
    const tally = new df.EntityId("tally", "t1");
    await client.signalEntity(tally, "add", 3);
    await client.signalEntity(tally, "add", 4);
    await host.waitForIdle();
    expect(await client.readEntityState(tally)).toEqual({ entityExists: true, entityState: 7 });
    expect(await client.readEntityState(new df.EntityId("auditLog", "t1"))).toEqual({
      entityExists: true,
      entityState: [
        { op: "add", amount: 3, total: 3 },
        { op: "add", amount: 4, total: 7 },
      ],
    });
  });

  test("an entity operation error surfaces in the calling orchestration", async () => {
    await client.signalEntity(new df.EntityId("account", "a1"), "deposit", 50);
    await host.waitForIdle();
    const ok = await run("withdraw", { account: "a1", amount: 20 });
    expect(ok.output).toEqual({ ok: true, balance: 30 });
    const failed = await run("withdraw", { account: "a1", amount: 100 });
    expect(failed.runtimeStatus).toBe("Completed");
    expect(failed.output).toEqual({
      ok: false,
      error: "Operation 'withdraw' on entity '@account@a1' failed: the operation threw an error",
    });
    expect(await client.readEntityState(new df.EntityId("account", "a1"))).toEqual({
      entityExists: true,
      entityState: 30,
    });
  });
});
