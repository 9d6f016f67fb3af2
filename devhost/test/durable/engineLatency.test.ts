/**
 * The engine on a slow backend (`latency`): every Durable message arrives late, management reads and answers
 * do not, one sender's messages to one receiver stay in order, and idle / stop account for late messages.
 * Virtual-time tests move the clock with `drain()` (no waiting on the delays); one test waits in real time.
 */
import * as df from "durable-functions";
import { DelaySource } from "../../src/durable/latency";
import { createHarness, TestInvoker, type Harness } from "./harness";

let h: Harness | undefined;
afterEach(async () => {
  await h?.dispose();
  h = undefined;
});

function app(): TestInvoker {
  return new TestInvoker()
    .entity("Counter", (ctx) => {
      const value = ctx.df.getState(() => 0) as number;
      if (ctx.df.operationName === "add") ctx.df.setState(value + (ctx.df.getInput() as number));
      if (ctx.df.operationName === "get") ctx.df.return(value);
    })
    .entity("List", (ctx) => {
      const items = ctx.df.getState(() => []) as unknown[];
      if (ctx.df.operationName === "append") ctx.df.setState([...items, ctx.df.getInput()]);
      if (ctx.df.operationName === "get") ctx.df.return(items);
    })
    .activity("Double", (n) => (n as number) * 2)
    .activity("Shout", (s) => `${String(s).toUpperCase()}!`)
    .orchestration("Child", function* (ctx) {
      return yield ctx.df.callActivity("Shout", ctx.df.getInput());
    })
    .orchestration("Workflow", function* (ctx) {
      const counter = new df.EntityId("Counter", ctx.df.getInput() as string);
      const a = (yield ctx.df.callActivity("Double", 3)) as number;
      yield ctx.df.callEntity(counter, "add", a);
      const [b, c] = (yield ctx.df.Task.all([
        ctx.df.callActivity("Double", 5),
        ctx.df.callActivity("Double", 7),
      ])) as number[];
      ctx.df.signalEntity(counter, "add", b);
      yield ctx.df.callEntity(counter, "add", c);
      const child = (yield ctx.df.callSubOrchestrator("Child", "done")) as string;
      const total = (yield ctx.df.callEntity(counter, "get")) as number;
      return { total, child };
    })
    .orchestration("Appender", function* (ctx) {
      const { key, n } = ctx.df.getInput() as { key: string; n: number };
      const list = new df.EntityId("List", key);
      // Signals in one episode, then in a later one: the entity must see them all in this order.
      for (let i = 0; i < n / 2; i++) ctx.df.signalEntity(list, "append", i);
      yield ctx.df.callActivity("Double", 0);
      for (let i = n / 2; i < n; i++) ctx.df.signalEntity(list, "append", i);
      return yield ctx.df.callEntity(list, "get");
    })
    .orchestration("WaitForGo", function* (ctx) {
      ctx.df.setCustomStatus("waiting");
      const go: unknown = yield ctx.df.waitForExternalEvent("go");
      return { go };
    });
}

const orchestratorCalls = (invoker: TestInvoker) =>
  invoker.calls.filter((c) => c.type === "orchestrationTrigger").length;

/** Sends `n` client signals appending 0..n-1 to List `key`, then reads the list once everything arrived. */
async function clientAppends(harness: Harness, key: string, n: number): Promise<unknown> {
  for (let i = 0; i < n; i++) {
    expect((await harness.call("POST", `entities/List/${key}?op=append`, i)).status).toBe(202);
  }
  await harness.drain();
  return (await harness.call("GET", `entities/List/${key}`)).body;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

test("a client signal is answered 202 at once, but its effect shows only once the engine is idle", async () => {
  h = createHarness(app(), { latency: { minMs: 5, maxMs: 40, seed: 1 } });
  expect((await h.call("POST", "entities/Counter/c?op=add", 7)).status).toBe(202);
  expect((await h.call("GET", "entities/Counter/c")).status).toBe(404);
  expect(h.engine.isIdle()).toBe(false);
  await h.settle(); // real time: the clock's own timer delivers the message
  expect(await h.call("GET", "entities/Counter/c")).toMatchObject({ status: 200, body: 7 });
  expect(h.engine.isIdle()).toBe(true);
});

test("in virtual time a message is not delivered before its delay", async () => {
  h = createHarness(app(), { latency: { minMs: 10_000, maxMs: 20_000, seed: 1 } });
  await h.call("POST", "entities/Counter/v?op=add", 3);
  h.clock.advance(5_000);
  await new Promise<void>((resolve) => setImmediate(resolve));
  expect((await h.call("GET", "entities/Counter/v")).status).toBe(404);
  expect(h.invoker.calls).toEqual([]);
  h.clock.advance(15_000);
  await h.settle();
  expect((await h.call("GET", "entities/Counter/v")).body).toBe(3);
});

test("startNew answers with a Pending instance; entity calls, activities and a sub-orchestration complete", async () => {
  const invoker = app();
  h = createHarness(invoker, { latency: { minMs: 0, maxMs: 5_000, seed: 3 } });
  const id = await h.start("Workflow", "w");
  expect(await h.status(id)).toMatchObject({ runtimeStatus: "Pending", input: "w" });
  expect(orchestratorCalls(invoker)).toBe(0);
  await h.drain();
  expect(await h.status(id)).toMatchObject({
    runtimeStatus: "Completed",
    output: { total: 6 + 10 + 14, child: "DONE!" },
  });
  expect((await h.call("GET", "entities/Counter/w")).body).toBe(30);
});

test("one orchestration's 20 operations to one entity arrive in order under 0-60 s random latency", async () => {
  const latency = { minMs: 0, maxMs: 60_000, seed: 5 };
  // The delays alone would reorder them: draws 1-10 (after the start message's) go to the first signals.
  const source = new DelaySource(latency);
  const signalDelays = range(11)
    .map(() => source.next())
    .slice(1);
  expect(signalDelays).not.toEqual([...signalDelays].sort((a, b) => a - b));
  h = createHarness(app(), { latency });
  const id = await h.start("Appender", { key: "orch", n: 20 });
  await h.drain();
  expect(await h.status(id)).toMatchObject({ runtimeStatus: "Completed", output: range(20) });
  expect((await h.call("GET", "entities/List/orch")).body).toEqual(range(20));
});

test("client signals are unordered (distinct senders); the same seed repeats the same arrival order", async () => {
  const latency = { minMs: 0, maxMs: 60_000, seed: 9 };
  h = createHarness(app(), { latency });
  const first = (await clientAppends(h, "clients", 20)) as number[];
  expect([...first].sort((a, b) => a - b)).toEqual(range(20));
  expect(first).not.toEqual(range(20));
  await h.dispose();

  h = createHarness(app(), { latency });
  expect(await clientAppends(h, "clients", 20)).toEqual(first);
});

test("raised events and terminations are messages too: answered at once, carried out late", async () => {
  h = createHarness(app(), { latency: { minMs: 1_000, maxMs: 30_000, seed: 4 } });
  const go = await h.start("WaitForGo", undefined, "go");
  const stop = await h.start("WaitForGo", undefined, "stop");
  await h.drain();
  expect(await h.status(go)).toMatchObject({ runtimeStatus: "Running", customStatus: "waiting" });

  expect((await h.call("POST", `instances/${go}/raiseEvent/go`, 42)).status).toBe(202);
  expect((await h.call("POST", `instances/${stop}/terminate?reason=enough`)).status).toBe(202);
  expect((await h.status(go)).runtimeStatus).toBe("Running");
  expect((await h.status(stop)).runtimeStatus).toBe("Running");
  await h.drain();
  expect(await h.status(go)).toMatchObject({ runtimeStatus: "Completed", output: { go: 42 } });
  expect(await h.status(stop)).toMatchObject({ runtimeStatus: "Terminated", output: "enough" });

  // Refusals are reads of the instance's status: immediate.
  expect((await h.call("POST", `instances/${stop}/terminate?reason=again`)).status).toBe(410);
  expect((await h.call("POST", "instances/ghost/terminate?reason=x")).status).toBe(404);
  expect(h.engine.isIdle()).toBe(true);
});

test("an event that arrives before the instance's start message waits for it", async () => {
  const latency = { minMs: 10_000, maxMs: 20_000, seed: 1 };
  const source = new DelaySource(latency);
  const [startDelay, eventDelay] = [source.next(), source.next()];
  expect(eventDelay).toBeLessThan(startDelay);
  const invoker = app();
  h = createHarness(invoker, { latency });
  const id = await h.start("WaitForGo", undefined, "early");
  expect((await h.call("POST", `instances/${id}/raiseEvent/go`, "early bird")).status).toBe(202);
  h.clock.advance(eventDelay + 1);
  await new Promise<void>((resolve) => setImmediate(resolve));
  expect((await h.status(id)).runtimeStatus).toBe("Pending");
  expect(orchestratorCalls(invoker)).toBe(0);
  await h.drain();
  expect(await h.status(id)).toMatchObject({ runtimeStatus: "Completed", output: { go: "early bird" } });
});

test("stop drops messages still on their way instead of waiting for them", async () => {
  const invoker = app();
  const harness = createHarness(invoker, { latency: { minMs: 500_000, maxMs: 600_000 } });
  await harness.call("POST", "entities/Counter/s?op=add", 1);
  await harness.start("Workflow", "s");
  expect(harness.engine.isIdle()).toBe(false);
  await harness.dispose();
  expect(harness.engine.isIdle()).toBe(true);
  expect(invoker.calls).toEqual([]);
});

test("latency off: nothing waits on the clock", async () => {
  h = createHarness(app());
  await h.call("POST", "entities/Counter/other?op=add", 2);
  const id = await h.start("Workflow", "off");
  expect(h.clock.pendingTimers()).toBe(0);
  expect(h.engine.isIdle()).toBe(false);
  await h.settle();
  expect(h.clock.pendingTimers()).toBe(0);
  expect(await h.status(id)).toMatchObject({
    runtimeStatus: "Completed",
    output: { total: 30, child: "DONE!" },
  });
});
