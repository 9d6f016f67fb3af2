import * as df from "durable-functions";
import { createHarness, TestInvoker, type Harness } from "./harness";

let h: Harness | undefined;
afterEach(async () => {
  await h?.dispose();
  h = undefined;
});

function counterApp(): TestInvoker {
  return new TestInvoker()
    .entity("Counter", (ctx) => {
      const value = ctx.df.getState(() => 0) as number;
      switch (ctx.df.operationName) {
        case "add":
          ctx.df.setState(value + (ctx.df.getInput() as number));
          break;
        case "get":
          ctx.df.return(value);
          break;
        case "fail":
          throw new Error("counter refused");
        case "forward":
          // entity -> entity signal
          ctx.df.signalEntity(new df.EntityId("Counter", ctx.df.getInput() as string), "add", value);
          break;
        case "delete":
          ctx.df.destructOnExit();
          break;
      }
    })
    .orchestration("UseCounter", function* (ctx) {
      const id = new df.EntityId("Counter", "orch");
      ctx.df.signalEntity(id, "add", 5);
      yield ctx.df.callEntity(id, "add", 2);
      const value: number = yield ctx.df.callEntity(id, "get");
      let error = "";
      try {
        yield ctx.df.callEntity(id, "fail");
      } catch (err) {
        error = (err as Error).message;
      }
      return { value, error };
    });
}

test("signals from the API run in arrival order in one batch; state is readable", async () => {
  const invoker = counterApp();
  h = createHarness(invoker);
  const harness = h;
  const responses = await Promise.all(
    Array.from({ length: 10 }, (_, i) => harness.call("POST", "entities/Counter/a?op=add", i + 1)),
  );
  expect(responses.map((r) => r.status)).toEqual(Array(10).fill(202));
  await h.settle();
  const read = await h.call("GET", "entities/Counter/a");
  expect(read).toMatchObject({ status: 200, body: 55 });
  expect(invoker.calls.filter((c) => c.type === "entityTrigger")).toHaveLength(1);
  expect((await h.call("GET", "entities/Counter/missing")).status).toBe(404);
});

test("an entity signals another entity; destructOnExit deletes it", async () => {
  h = createHarness(counterApp());
  await h.call("POST", "entities/Counter/src?op=add", 7);
  await h.call("POST", "entities/Counter/src?op=forward", "dst");
  await h.settle();
  expect((await h.call("GET", "entities/Counter/dst")).body).toBe(7);
  await h.call("POST", "entities/Counter/dst?op=delete");
  await h.settle();
  expect((await h.call("GET", "entities/Counter/dst")).status).toBe(404);
});

test("callEntity answers the orchestration; signalEntity is delivered first; errors come back as errors", async () => {
  h = createHarness(counterApp());
  const id = await h.start("UseCounter");
  await h.settle();
  const s = await h.status(id);
  expect(s.runtimeStatus).toBe("Completed");
  const output = s.output as { value: number; error: string };
  expect(output.value).toBe(7);
  expect(output.error).toContain("Operation 'fail' on entity '@counter@orch' failed");
  expect((await h.call("GET", "entities/counter/orch")).body).toBe(7);
});

test("a failing signal is logged and does not stop later operations", async () => {
  h = createHarness(counterApp());
  await h.call("POST", "entities/Counter/b?op=fail");
  await h.call("POST", "entities/Counter/b?op=add", 1);
  await h.settle();
  expect((await h.call("GET", "entities/Counter/b")).body).toBe(1);
  expect(h.logs.some((l) => l.startsWith("warning") && l.includes("'fail'"))).toBe(true);
});

test("thousands of signals are processed quickly", async () => {
  h = createHarness(counterApp());
  const started = Date.now();
  for (let i = 0; i < 5000; i++) await h.call("POST", `entities/Counter/k${i % 50}?op=add`, 1);
  await h.settle();
  expect((await h.call("GET", "entities/Counter/k7")).body).toBe(100);
  expect(Date.now() - started).toBeLessThan(5000);
});
