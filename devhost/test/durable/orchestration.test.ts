import * as df from "durable-functions";
import { createHarness, TestInvoker, type Harness } from "./harness";

let h: Harness | undefined;
afterEach(async () => {
  await h?.dispose();
  h = undefined;
});

function sayHello(invoker: TestInvoker): TestInvoker {
  return invoker.activity("SayHello", (name) => `Hello ${String(name)}`);
}

describe.each([
  ["V1", 0],
  ["V2", 1],
  ["V3", 2],
  ["V4", 3],
])("replay schema %s", (_label, schemaVersion) => {
  test("activity sequence completes with the outputs in order", async () => {
    const invoker = sayHello(new TestInvoker()).orchestration("Seq", function* (ctx) {
      const out: string[] = [];
      out.push(yield ctx.df.callActivity("SayHello", "Tokyo"));
      out.push(yield ctx.df.callActivity("SayHello", "Seattle"));
      return out;
    });
    h = createHarness(invoker, { schemaVersion });
    const id = await h.start("Seq");
    await h.settle();
    const s = await h.status(id);
    expect(s.runtimeStatus).toBe("Completed");
    expect(s.output).toEqual(["Hello Tokyo", "Hello Seattle"]);
  });

  test("fan-out/fan-in and nested Task.all / Task.any", async () => {
    const invoker = new TestInvoker()
      .activity("Double", (n) => (n as number) * 2)
      .orchestration("Fan", function* (ctx) {
        const tasks = [1, 2, 3, 4, 5].map((n) => ctx.df.callActivity("Double", n));
        const doubled: number[] = yield ctx.df.Task.all(tasks);
        const nested: unknown = yield ctx.df.Task.all([
          ctx.df.Task.all([ctx.df.callActivity("Double", 10), ctx.df.callActivity("Double", 20)]),
          ctx.df.Task.any([ctx.df.callActivity("Double", 30), ctx.df.waitForExternalEvent("never")]),
        ]);
        const [pair, winner] = nested as [number[], df.Task];
        return { doubled, pair, any: winner.result };
      });
    h = createHarness(invoker, { schemaVersion });
    const id = await h.start("Fan");
    await h.settle();
    const s = await h.status(id);
    expect(s.runtimeStatus).toBe("Completed");
    expect(s.output).toEqual({ doubled: [2, 4, 6, 8, 10], pair: [20, 40], any: 60 });
  });

  test("a retried activity and a plain one in the same Task.all keep their numbering", async () => {
    let attempts = 0;
    const invoker = new TestInvoker()
      .activity("Flaky", () => {
        attempts++;
        if (attempts < 3) throw new Error(`flake ${attempts}`);
        return "ok";
      })
      .activity("Echo", (x) => x)
      .orchestration("Mixed", function* (ctx) {
        const retry = new df.RetryOptions(1000, 5);
        const [a, b]: string[] = yield ctx.df.Task.all([
          ctx.df.callActivityWithRetry("Flaky", retry),
          ctx.df.callActivity("Echo", "plain"),
        ]);
        const c: string = yield ctx.df.callActivity("Echo", "after");
        return [a, b, c];
      });
    h = createHarness(invoker, { schemaVersion });
    const id = await h.start("Mixed");
    await h.settle();
    expect((await h.status(id)).runtimeStatus).toBe("Running");
    h.clock.advance(1000);
    await h.settle();
    h.clock.advance(1000);
    await h.settle();
    const s = await h.status(id);
    expect(s.runtimeStatus).toBe("Completed");
    expect(s.output).toEqual(["ok", "plain", "after"]);
    expect(attempts).toBe(3);
  });
});

test("external event wins the race against a timer; the cancelled timer wakes nothing", async () => {
  const invoker = new TestInvoker().orchestration("Race", function* (ctx) {
    const deadline = new Date(ctx.df.currentUtcDateTime.getTime() + 60_000);
    const timer = ctx.df.createTimer(deadline);
    const approval = ctx.df.waitForExternalEvent("Approval");
    const winner: df.Task = yield ctx.df.Task.any([approval, timer]);
    if (winner === approval) {
      timer.cancel();
      return { approved: approval.result };
    }
    return "timed out";
  });
  h = createHarness(invoker);
  const id = await h.start("Race");
  await h.settle();
  expect(h.clock.pendingTimers()).toBe(1);
  const raised = await h.call("POST", `instances/${id}/raiseEvent/Approval`, { by: "ann" });
  expect(raised.status).toBe(202);
  await h.settle();
  const s = await h.status(id);
  expect(s.runtimeStatus).toBe("Completed");
  expect(s.output).toEqual({ approved: { by: "ann" } });
  expect(h.clock.pendingTimers()).toBe(0);
  h.clock.advance(120_000);
  await h.settle();
  expect((await h.status(id)).output).toEqual({ approved: { by: "ann" } });
});

test("timer wins the race when no event arrives; a late event gets 410", async () => {
  const invoker = new TestInvoker().orchestration("Race", function* (ctx) {
    const timer = ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + 60_000));
    const winner: df.Task = yield ctx.df.Task.any([ctx.df.waitForExternalEvent("Approval"), timer]);
    return winner === timer ? "timed out" : "approved";
  });
  h = createHarness(invoker);
  const id = await h.start("Race");
  await h.settle();
  h.clock.advance(59_000);
  await h.settle();
  expect((await h.status(id)).runtimeStatus).toBe("Running");
  h.clock.advance(2_000);
  await h.settle();
  expect(await h.status(id)).toMatchObject({ runtimeStatus: "Completed", output: "timed out" });
  expect((await h.call("POST", `instances/${id}/raiseEvent/Approval`, 1)).status).toBe(410);
});

test("an event raised before the orchestrator waits for it is buffered", async () => {
  const invoker = new TestInvoker()
    .activity("Echo", (x) => x)
    .orchestration("Late", function* (ctx) {
      yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + 1000));
      const v: unknown = yield ctx.df.waitForExternalEvent("Go");
      return v;
    });
  h = createHarness(invoker);
  const id = await h.start("Late");
  await h.settle();
  await h.call("POST", `instances/${id}/raiseEvent/Go`, 42);
  await h.settle();
  h.clock.advance(1000);
  await h.settle();
  expect(await h.status(id)).toMatchObject({ runtimeStatus: "Completed", output: 42 });
});

test("a failing activity is retried with backoff, then the orchestration fails with the last error", async () => {
  let attempts = 0;
  const invoker = new TestInvoker()
    .activity("AlwaysFails", () => {
      attempts++;
      throw new Error(`boom ${attempts}`);
    })
    .orchestration("RetryAll", function* (ctx) {
      const retry = new df.RetryOptions(1000, 3);
      retry.backoffCoefficient = 2;
      yield ctx.df.callActivityWithRetry("AlwaysFails", retry, "x");
      return "unreachable";
    });
  h = createHarness(invoker);
  const id = await h.start("RetryAll");
  await h.settle();
  expect(attempts).toBe(1);
  h.clock.advance(900);
  await h.settle();
  expect(attempts).toBe(1);
  h.clock.advance(100);
  await h.settle();
  expect(attempts).toBe(2);
  h.clock.advance(1900);
  await h.settle();
  expect(attempts).toBe(2);
  h.clock.advance(100);
  await h.settle();
  expect(attempts).toBe(3);
  expect((await h.status(id)).runtimeStatus).toBe("Running");
  // DurableTask waits on one more retry timer after the last failure before giving up.
  h.clock.advance(4000);
  await h.settle();
  const s = await h.status(id);
  expect(attempts).toBe(3);
  expect(s.runtimeStatus).toBe("Failed");
  expect(String(s.output)).toContain("Orchestrator function 'RetryAll' failed");
  expect(String(s.output)).toContain("Activity function 'AlwaysFails' failed: boom 3");
});

test("retry timeout stops further attempts", async () => {
  let attempts = 0;
  const invoker = new TestInvoker()
    .activity("AlwaysFails", () => {
      attempts++;
      throw new Error("nope");
    })
    .orchestration("RetryTimeout", function* (ctx) {
      const retry = new df.RetryOptions(1000, 10);
      retry.retryTimeoutInMilliseconds = 1500;
      try {
        yield ctx.df.callActivityWithRetry("AlwaysFails", retry);
      } catch (err) {
        return `caught: ${(err as Error).message.split(" \n ")[0]}`;
      }
      return "unreachable";
    });
  h = createHarness(invoker);
  const id = await h.start("RetryTimeout");
  await h.settle();
  h.clock.advance(1000);
  await h.settle();
  expect(attempts).toBe(2);
  // The second failure came before the timeout, so DurableTask still schedules a third attempt; after that
  // failure the timeout has passed and the remaining attempts fail without running.
  h.clock.advance(1000);
  await h.settle();
  expect(attempts).toBe(3);
  expect(await h.status(id)).toMatchObject({
    runtimeStatus: "Completed",
    output: "caught: Activity function 'AlwaysFails' failed: nope",
  });
});

test("sub-orchestration with retry: failed child attempts are retried, the third succeeds", async () => {
  let failuresLeft = 2;
  const invoker = new TestInvoker()
    .activity("Work", (n) => {
      if (n === 10 && failuresLeft-- > 0) throw new Error("child failure");
      return (n as number) + 1;
    })
    .orchestration("Child", function* (ctx) {
      const r: number = yield ctx.df.callActivity("Work", ctx.df.getInput());
      return { child: ctx.df.instanceId, parent: ctx.df.parentInstanceId, r };
    })
    .orchestration("Parent", function* (ctx) {
      const plain: unknown = yield ctx.df.callSubOrchestrator("Child", 0, "child-plain");
      const retried: unknown = yield ctx.df.callSubOrchestratorWithRetry(
        "Child",
        new df.RetryOptions(500, 3),
        10,
      );
      return { plain, retried };
    });
  h = createHarness(invoker);
  const id = await h.start("Parent", undefined, "parent-1");
  await h.settle();
  expect(await h.status("child-plain")).toMatchObject({ runtimeStatus: "Completed" });
  const failedOnce = (await h.call("GET", "instances?runtimeStatus=Failed")).body as { instanceId: string }[];
  expect(failedOnce.map((s) => s.instanceId)).toEqual(["parent-1:0001"]);
  h.clock.advance(500);
  await h.settle();
  expect((await h.status(id)).runtimeStatus).toBe("Running");
  h.clock.advance(500);
  await h.settle();
  const s = await h.status(id);
  expect(s.runtimeStatus).toBe("Completed");
  expect(s.output).toEqual({
    plain: { child: "child-plain", parent: "parent-1", r: 1 },
    retried: { child: "parent-1:0005", parent: "parent-1", r: 11 },
  });
  const failed = (await h.call("GET", "instances?runtimeStatus=Failed")).body as { instanceId: string }[];
  expect(failed.map((f) => f.instanceId).sort()).toEqual(["parent-1:0001", "parent-1:0003"]);
});

test("continueAsNew restarts the same instance with new input and keeps queued events", async () => {
  const invoker = new TestInvoker().orchestration("Counter", function* (ctx) {
    const n = ctx.df.getInput() as number;
    if (n >= 3) return n;
    const add: number = yield ctx.df.waitForExternalEvent("add");
    ctx.df.continueAsNew(n + add);
    return undefined;
  });
  h = createHarness(invoker);
  const id = await h.start("Counter", 0, "counter-1");
  await h.settle();
  await h.call("POST", `instances/${id}/raiseEvent/add`, 1);
  await h.call("POST", `instances/${id}/raiseEvent/add`, 1);
  await h.call("POST", `instances/${id}/raiseEvent/add`, 1);
  await h.settle();
  const s = await h.status(id, "showHistory=true");
  expect(s).toMatchObject({ runtimeStatus: "Completed", output: 3, input: 3 });
  const types = (s.historyEvents as { EventType: string }[]).map((e) => e.EventType);
  expect(types).toEqual(["ExecutionStarted", "ExecutionCompleted"]);
});

test("setCustomStatus is visible while running and after completion", async () => {
  const invoker = new TestInvoker().orchestration("Status", function* (ctx) {
    ctx.df.setCustomStatus({ stage: "waiting" });
    yield ctx.df.waitForExternalEvent("go");
    ctx.df.setCustomStatus({ stage: "done" });
    return "ok";
  });
  h = createHarness(invoker);
  const id = await h.start("Status");
  await h.settle();
  expect((await h.status(id)).customStatus).toEqual({ stage: "waiting" });
  await h.call("POST", `instances/${id}/raiseEvent/go`, null);
  await h.settle();
  expect(await h.status(id)).toMatchObject({ runtimeStatus: "Completed", customStatus: { stage: "done" } });
});

test("an orchestrator that throws fails with the SDK's error message", async () => {
  const invoker = new TestInvoker().orchestration("Throws", function* (ctx) {
    yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + 10));
    throw new Error("kaput");
  });
  h = createHarness(invoker);
  const id = await h.start("Throws");
  await h.settle();
  h.clock.advance(10);
  await h.settle();
  expect(await h.status(id)).toMatchObject({
    runtimeStatus: "Failed",
    output: "Orchestrator function 'Throws' failed: kaput",
  });
});

test("a missing activity fails the task, which the orchestrator can catch", async () => {
  const invoker = new TestInvoker().orchestration("Missing", function* (ctx) {
    try {
      yield ctx.df.callActivity("NoSuchActivity");
    } catch (err) {
      return (err as Error).message.includes("NoSuchActivity");
    }
    return false;
  });
  h = createHarness(invoker);
  const id = await h.start("Missing");
  await h.settle();
  expect(await h.status(id)).toMatchObject({ runtimeStatus: "Completed", output: true });
});

test("terminate stops a running instance; a running activity's result is dropped", async () => {
  let release: (() => void) | undefined;
  let started!: () => void;
  const activityStarted = new Promise<void>((resolve) => (started = resolve));
  const invoker = new TestInvoker()
    .activity("Slow", () => {
      started();
      return new Promise<string>((resolve) => (release = () => resolve("late")));
    })
    .orchestration("Long", function* (ctx) {
      const v: string = yield ctx.df.callActivity("Slow");
      return v;
    });
  h = createHarness(invoker);
  const id = await h.start("Long");
  await activityStarted;
  expect(h.engine.isIdle()).toBe(false);
  const res = await h.call("POST", `instances/${id}/terminate?reason=${encodeURIComponent("user asked")}`);
  expect(res.status).toBe(202);
  release?.();
  await h.settle();
  expect(await h.status(id)).toMatchObject({ runtimeStatus: "Terminated", output: "user asked" });
  expect((await h.call("POST", `instances/${id}/terminate?reason=again`)).status).toBe(410);
  expect((await h.call("POST", `instances/nope/terminate?reason=x`)).status).toBe(404);
});

test("many instances run in parallel", async () => {
  const invoker = sayHello(new TestInvoker()).orchestration("One", function* (ctx) {
    return yield ctx.df.callActivity("SayHello", ctx.df.getInput());
  });
  h = createHarness(invoker);
  const ids = await Promise.all(Array.from({ length: 200 }, (_, i) => h!.start("One", i)));
  await h.settle();
  const statuses = await Promise.all(ids.map((id) => h!.status(id)));
  expect(statuses.every((s) => s.runtimeStatus === "Completed")).toBe(true);
  expect(statuses[42].output).toBe("Hello 42");
});
