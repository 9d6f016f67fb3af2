/**
 * Engine-level cases of the newer features that the features-app suite (test/devhost/fidelity) does not
 * reach: durable HTTP under older replay schemas and next to other tasks, locks on unknown entities,
 * rewinding a parent whose failed child is gone, and versions on retried sub-orchestrations.
 */
import * as http from "node:http";
import * as df from "durable-functions";
import { createHarness, TestInvoker, type Harness } from "./harness";

let h: Harness | undefined;
let server: http.Server | undefined;
let baseUrl = "";

beforeEach(async () => {
  // A job API: POST /job/{id} is accepted (202, poll the Location after 2 s); GET /job/{id} is the result.
  server = http.createServer((req, res) => {
    const id = String(req.url).split("/").pop() as string;
    if (req.method === "POST") {
      res.writeHead(202, { Location: `${baseUrl}/job/${id}`, "Retry-After": "2" });
      res.end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ id, done: true }));
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

/** Settles, then fires the next durable timer, until nothing is left to do. */
async function runToEnd(harness: Harness): Promise<void> {
  for (;;) {
    await harness.settle();
    const due = harness.clock.nextDue();
    if (due === undefined) return;
    harness.clock.advance(Math.max(0, due - harness.clock.now()));
  }
}

afterEach(async () => {
  await h?.dispose();
  h = undefined;
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

test("with replay schema V2 the SDK does not poll: a 202 is the result and no timer is made", async () => {
  // durable-functions uses CallHttpWithPollingTask only from ReplaySchema.V3 on.
  const invoker = new TestInvoker()
    .activity("Echo", (v) => v)
    .orchestration("Submit", function* (ctx) {
      const res: { statusCode: number } = yield ctx.df.callHttp({ method: "POST", url: `${baseUrl}/job/a` });
      // Numbered right after the HTTP call: nothing was numbered for a poll in between.
      const after: string = yield ctx.df.callActivity("Echo", "after");
      return { statusCode: res.statusCode, after };
    });
  h = createHarness(invoker, { schemaVersion: 1 });
  const id = await h.start("Submit");
  await runToEnd(h);
  expect(await h.status(id)).toMatchObject({
    runtimeStatus: "Completed",
    output: { statusCode: 202, after: "after" },
  });
  expect(h.clock.pendingTimers()).toBe(0);
});

test("a polled HTTP call next to activities keeps every task's number in step with the SDK", async () => {
  const invoker = new TestInvoker()
    .activity("Echo", (v) => v)
    .orchestration("Mixed", function* (ctx) {
      const [job, first]: [{ content: string }, string] = yield ctx.df.Task.all([
        ctx.df.callHttp({ method: "POST", url: `${baseUrl}/job/b` }),
        ctx.df.callActivity("Echo", "first"),
      ]);
      const second: string = yield ctx.df.callActivity("Echo", "second");
      yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + 1000));
      return { job: JSON.parse(job.content) as unknown, first, second };
    });
  h = createHarness(invoker);
  const id = await h.start("Mixed");
  await runToEnd(h);
  expect(await h.status(id)).toMatchObject({
    runtimeStatus: "Completed",
    output: { job: { id: "b", done: true }, first: "first", second: "second" },
  });
  const history = (await h.status(id, "showHistory=true")).historyEvents as Record<string, unknown>[];
  const scheduled = history
    .filter((e) => e.EventType === "TaskScheduled" || e.EventType === "TimerCreated")
    .map((e) => [e.EventType, e.EventId, e.Name ?? null]);
  // 0: the POST, 1: Echo first, 2/3: poll timer and poll (numbered when the 202 is replayed), 4: Echo
  // second, 5: the orchestrator's own timer.
  expect(scheduled).toEqual([
    ["TaskScheduled", 0, "BuiltIn::HttpActivity"],
    ["TaskScheduled", 1, "Echo"],
    ["TimerCreated", 2, null],
    ["TaskScheduled", 3, "BuiltIn::HttpActivity"],
    ["TaskScheduled", 4, "Echo"],
    ["TimerCreated", 5, null],
  ]);
});

test("locking an entity that has no function fails the orchestration", async () => {
  // DurableOrchestrationContext.LockAsync checks ThrowIfFunctionDoesNotExist for every entity.
  const invoker = new TestInvoker().orchestration("LockGhost", function* (ctx) {
    yield ctx.df.lock(new df.EntityId("ghost", "g1"));
    return "locked";
  });
  h = createHarness(invoker);
  const id = await h.start("LockGhost");
  await h.settle();
  expect(await h.status(id)).toMatchObject({
    runtimeStatus: "Failed",
    output:
      "Orchestrator function 'LockGhost' failed: The function 'ghost' doesn't exist, is disabled, or is not an entity function.",
  });
});

test("rewinding a parent whose failed child was purged starts the child again", async () => {
  let fail = true;
  const invoker = new TestInvoker()
    .activity("MayFail", () => {
      if (fail) throw new Error("not yet");
      return "ok";
    })
    .orchestration("Child", function* (ctx) {
      return (yield ctx.df.callActivity("MayFail")) as string;
    })
    .orchestration("Parent", function* (ctx) {
      return { child: (yield ctx.df.callSubOrchestrator("Child", undefined, "the-child")) as string };
    });
  h = createHarness(invoker);
  const id = await h.start("Parent");
  await h.settle();
  expect((await h.status(id)).runtimeStatus).toBe("Failed");
  expect((await h.call("DELETE", "instances/the-child")).status).toBe(200);
  fail = false;
  expect((await h.call("POST", `instances/${id}/rewind?reason=again`)).status).toBe(202);
  await h.settle();
  expect(await h.status(id)).toMatchObject({ runtimeStatus: "Completed", output: { child: "ok" } });
  expect(await h.status("the-child")).toMatchObject({ runtimeStatus: "Completed", output: "ok" });
});

test("a retried sub-orchestration keeps the version it was called with on every attempt", async () => {
  let attempts = 0;
  const invoker = new TestInvoker()
    .orchestration("Versioned", function* (ctx) {
      attempts++;
      if (attempts < 2) throw new Error("first attempt fails");
      yield ctx.df.createTimer(ctx.df.currentUtcDateTime);
      return ctx.df.version;
    })
    .orchestration("Caller", function* (ctx) {
      return (yield ctx.df.callSubOrchestratorWithRetry(
        "Versioned",
        new df.RetryOptions(1000, 3),
        undefined,
        undefined,
        "3.1",
      )) as string;
    });
  h = createHarness(invoker);
  const id = await h.start("Caller");
  await runToEnd(h);
  expect(await h.status(id)).toMatchObject({ runtimeStatus: "Completed", output: "3.1" });
  expect(attempts).toBeGreaterThanOrEqual(2);
});
