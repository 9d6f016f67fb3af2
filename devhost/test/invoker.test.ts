import * as path from "node:path";
import { startHost, type DevHost } from "../src/host";
import { fromRpcReturnValue } from "../src/invoker";
import { createStubEngine } from "./stubEngine";

const appDir = path.join(__dirname, "fixtures/runtime-app");
let host: DevHost;

beforeAll(async () => {
  process.env.TICK_SCHEDULE = "0 */5 * * * *";
  host = await startHost({ appDir, port: 0, createEngine: createStubEngine().factory, log: false });
});

afterAll(async () => {
  await host.stop();
});

test("knows which durable functions exist, by trigger type", () => {
  expect(host.invoker.hasFunction("sayHello", "orchestrationTrigger")).toBe(true);
  expect(host.invoker.hasFunction("counter", "entityTrigger")).toBe(true);
  expect(host.invoker.hasFunction("shout", "activityTrigger")).toBe(true);
  expect(host.invoker.hasFunction("shout", "orchestrationTrigger")).toBe(false);
  expect(host.invoker.hasFunction("missing", "activityTrigger")).toBe(false);
});

test("invokes activities with JSON trigger values and parses their return values", async () => {
  await expect(host.invoker.invoke("shout", "activityTrigger", "hi")).resolves.toBe("HI!");
  await expect(host.invoker.invoke("describeInput", "activityTrigger", { a: [1] })).resolves.toEqual({
    type: "object",
    input: { a: [1] },
  });
  await expect(host.invoker.invoke("describeInput", "activityTrigger", 7)).resolves.toEqual({
    type: "number",
    input: 7,
  });
});

test("rejects with the function's error", async () => {
  await expect(host.invoker.invoke("fail", "activityTrigger", null)).rejects.toThrow("activity failed");
  await expect(host.invoker.invoke("nope", "activityTrigger", null)).rejects.toThrow(/No activityTrigger/);
});

test("runs an orchestrator episode through durable-functions and returns its state", async () => {
  const now = new Date().toISOString();
  const state = (await host.invoker.invoke("sayHello", "orchestrationTrigger", {
    history: [
      { EventType: 12, EventId: -1, IsPlayed: false, Timestamp: now },
      { EventType: 0, EventId: -1, IsPlayed: false, Timestamp: now, Name: "sayHello", Input: '"bob"' },
    ],
    input: "bob",
    instanceId: "i1",
    isReplaying: false,
    parentInstanceId: null,
    upperSchemaVersion: 2,
  })) as { isDone: boolean; actions: unknown[][] };
  expect(state.isDone).toBe(false);
  expect(state.actions).toEqual([
    [expect.objectContaining({ actionType: 0, functionName: "shout", input: '"bob"' })],
  ]);
});

test("fromRpcReturnValue reads every typed-data shape", () => {
  expect(fromRpcReturnValue(undefined)).toBeUndefined();
  expect(fromRpcReturnValue(null)).toBeNull();
  expect(fromRpcReturnValue({ json: '{"a":1}' })).toEqual({ a: 1 });
  expect(fromRpcReturnValue({ string: '{"a":1}' })).toBe('{"a":1}');
  expect(fromRpcReturnValue({ int: 3 })).toBe(3);
  expect(fromRpcReturnValue({ double: 1.5 })).toBe(1.5);
  expect(fromRpcReturnValue({ bytes: new Uint8Array([104, 105]) })).toEqual(Buffer.from("hi"));
});
