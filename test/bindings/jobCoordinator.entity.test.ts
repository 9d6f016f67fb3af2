/** The coordinator entity binding, called with batches shaped as the host sends them. */
jest.mock("@azure/functions-core", () => jest.requireActual("../helpers/fakeFunctionsCore"), {
  virtual: true,
});

import { InvocationContext } from "@azure/functions";
import { registryShardOf } from "../../core/jobRegistry";
import { registered } from "../helpers/fakeFunctionsCore";
import "../../entities/jobCoordinator";
import "../../entities/jobRegistry";
import type { JobState } from "../../core/types";

interface EntityResult {
  entityExists: boolean;
  entityState?: string;
  results: { isError: boolean; result?: string }[];
  signals: { target: { name: string; key: string }; name: string; input: string }[];
}

function runBatch(
  name: string,
  key: string,
  state: string | undefined,
  ops: { name: string; input?: unknown; signal?: boolean }[],
): Promise<EntityResult> {
  const fn = registered.get(name);
  if (!fn) throw new Error(`${name} is not registered`);
  const trigger = {
    self: { name, key },
    exists: state !== undefined,
    state,
    batch: ops.map((op, i) => ({
      id: `00000000-0000-0000-0000-00000000000${i}`,
      name: op.name,
      signal: op.signal ?? false,
      input: op.input === undefined ? undefined : JSON.stringify(op.input),
    })),
  };
  return fn.handler(trigger, new InvocationContext({ functionName: name })) as Promise<EntityResult>;
}

test("both entities are registered with entity triggers", () => {
  const bindings = Object.values(registered.get("jobCoordinator")?.metadata.bindings ?? {});
  expect(bindings.map((b) => [b.type, b.direction])).toEqual([["entityTrigger", "in"]]);
  expect(registered.has("jobRegistry")).toBe(true);
});

test("a batch of racing compare-and-set tryStarts decides exactly one; the rest are outdated and change nothing", async () => {
  const ops = Array.from({ length: 8 }, (_, i) => ({
    name: "tryStart",
    signal: true,
    input: {
      requestId: `r${i}`,
      orchestrator: "reportJob",
      policy: "reject",
      expectSeq: 0,
      starter: `t${i}`,
    },
  }));
  const out = await runBatch("jobCoordinator", "nightly", undefined, ops);
  expect(out.entityExists).toBe(true);
  const answers = out.results.map((r) => JSON.parse(r.result as string));
  expect(answers[0]).toEqual({
    kind: "started",
    generation: 1,
    instanceId: "nightly:1",
    mustStart: {
      job: "nightly",
      generation: 1,
      instanceId: "nightly:1",
      orchestrator: "reportJob",
      requestId: "r0",
    },
  });
  for (const a of answers.slice(1)) expect(a).toEqual({ kind: "outdated", seq: 1 });
  const state = JSON.parse(out.entityState as string) as JobState;
  expect(state.requests).toEqual([["r0", "s", 1]]);
  expect(state.counters).toMatchObject({ accepted: 1, outdated: 7 });
  // A new job registers itself with the registry, once.
  expect(out.signals).toEqual([
    expect.objectContaining({
      target: expect.objectContaining({ name: "jobRegistry", key: registryShardOf("nightly") }),
      name: "add",
      input: JSON.stringify("nightly"),
    }),
  ]);
});

test("confirm and complete on an existing state; an unknown operation is an operation error", async () => {
  const first = await runBatch("jobCoordinator", "j", undefined, [
    { name: "tryStart", input: { requestId: "a", orchestrator: "reportJob", policy: "reject" } },
  ]);
  const out = await runBatch("jobCoordinator", "j", first.entityState, [
    { name: "confirm", input: { generation: 1, instanceId: "j:1" } },
    { name: "complete", input: { generation: 0, outcome: "completed" } },
    { name: "complete", input: { generation: 1, outcome: "completed", summary: "done" } },
    { name: "bogus" },
  ]);
  expect(out.results.slice(0, 3).map((r) => JSON.parse(r.result as string))).toEqual([
    { status: "holder" },
    { released: false, reason: "stale" },
    { released: true, run: { generation: 1, instanceId: "j:1" } },
  ]);
  expect(out.results[3].isError).toBe(true);
  expect(out.signals).toEqual([]);
  const state = JSON.parse(out.entityState as string) as JobState;
  expect(state.active).toBeUndefined();
  expect(state.lastFinished).toMatchObject({ generation: 1, outcome: "completed", summary: "done" });
  expect(state.counters).toMatchObject({ accepted: 1, completed: 1, stale: 1 });
});

test("the registry keeps job names sorted and unique", async () => {
  const out = await runBatch("jobRegistry", "all", undefined, [
    { name: "add", input: "b" },
    { name: "add", input: "a" },
    { name: "add", input: "b" },
    { name: "get" },
  ]);
  expect(JSON.parse(out.results[3].result as string)).toEqual({ jobs: ["a", "b"], overflow: 0 });
});
