/** The singleton wrapper, driven through the registered orchestration handler with host-shaped histories. */
jest.mock("@azure/functions-core", () => jest.requireActual("../helpers/fakeFunctionsCore"), {
  virtual: true,
});

import { InvocationContext } from "@azure/functions";
import type { OrchestrationContext } from "durable-functions";
import { registered } from "../helpers/fakeFunctionsCore";
import { history, orchestrationTrigger } from "../helpers/history";
import "../../orchestrators/followUp";
import { singletonOrchestration } from "../../orchestrators/singleton";

/** With replay schema V3 (as the extension negotiates) all actions come back in one list: `[[...]]`. */
interface OrchestratorState {
  isDone: boolean;
  actions: { actionType: number; [k: string]: unknown }[][];
  output?: unknown;
  error?: string;
}

// Values of the SDK's ActionType enum (durable-functions/lib/src/actions/ActionType.js).
const CALL_ACTIVITY = 0;
const CONTINUE_AS_NEW = 4;
const CALL_ENTITY = 7;

let userCodeRuns = 0;
singletonOrchestration(
  "testJob",
  function* (context: OrchestrationContext) {
    userCodeRuns++;
    const input = context.df.getInput<{ mode: string }>();
    const value = yield context.df.callActivity("work", input);
    if (input.mode === "eternal") {
      context.df.continueAsNew({ mode: "eternal", round: 2 });
      return undefined;
    }
    return value;
  },
  {
    checkInput: (input) =>
      (input as { mode?: unknown }).mode === "bad" ? { field: "mode", detail: "must not be bad" } : undefined,
  },
);

const envelope = { job: "nightly", generation: 7, input: { mode: "finite" } };
const entity = "@jobcoordinator@nightly";

function run(events: object[], input: unknown = envelope): Promise<OrchestratorState> {
  const fn = registered.get("testJob");
  if (!fn) throw new Error("testJob is not registered");
  return fn.handler(
    orchestrationTrigger("nightly:7", events, input),
    new InvocationContext({ functionName: "testJob" }),
  ) as Promise<OrchestratorState>;
}

beforeEach(() => {
  userCodeRuns = 0;
});

test("the first action is the confirm call to the job's entity, before any user code", async () => {
  const state = await run([
    history.orchestratorStarted(false),
    history.executionStarted("testJob", envelope, false),
  ]);
  expect(state.isDone).toBe(false);
  expect(state.actions).toEqual([
    [
      {
        actionType: CALL_ENTITY,
        instanceId: entity,
        operation: "confirm",
        input: { generation: 7, instanceId: "nightly:7", cycle: 0 },
      },
    ],
  ]);
  expect(userCodeRuns).toBe(0);
});

test("superseded: the orchestration ends without any user action", async () => {
  const state = await run([
    history.orchestratorStarted(),
    history.executionStarted("testJob", envelope),
    history.eventSent(0, entity, "confirm", "req-confirm"),
    history.orchestratorCompleted(),
    history.orchestratorStarted(false),
    history.entityResponse("req-confirm", { status: "superseded", activeGeneration: 8 }),
  ]);
  expect(state.isDone).toBe(true);
  expect(state.output).toEqual({ superseded: true, job: "nightly", generation: 7 });
  expect(state.actions.flat().map((a) => a.actionType)).toEqual([CALL_ENTITY]);
  expect(userCodeRuns).toBe(0);
});

const confirmed = () => [
  history.orchestratorStarted(),
  history.executionStarted("testJob", envelope),
  history.eventSent(0, entity, "confirm", "req-confirm"),
  history.orchestratorCompleted(),
  history.orchestratorStarted(),
  history.entityResponse("req-confirm", { status: "holder" }, true),
];

test("holder: user code runs with its own input", async () => {
  const state = await run([
    ...confirmed().slice(0, -1),
    history.entityResponse("req-confirm", { status: "holder" }, false),
  ]);
  expect(state.isDone).toBe(false);
  expect(state.actions.flat().slice(1)).toEqual([
    { actionType: CALL_ACTIVITY, functionName: "work", input: { mode: "finite" } },
  ]);
  expect(userCodeRuns).toBe(1);
});

test("runs to terminate are terminated by the hand-over activity before user code", async () => {
  const state = await run([
    ...confirmed().slice(0, -1),
    history.entityResponse(
      "req-confirm",
      { status: "holder", terminate: [{ generation: 6, instanceId: "nightly:6" }] },
      false,
    ),
  ]);
  expect(state.actions.flat().slice(1)).toEqual([
    expect.objectContaining({
      functionName: "singletonTerminateRun",
      input: { instanceId: "nightly:6", reason: "replaced by generation 7 of job 'nightly'" },
    }),
  ]);
  expect(userCodeRuns).toBe(0);
});

test("success reports complete(completed) with a summary, then returns the result", async () => {
  const events = [
    ...confirmed(),
    history.taskScheduled(1, "work"),
    history.orchestratorCompleted(),
    history.orchestratorStarted(false),
    history.taskCompleted(1, { rows: 3 }),
  ];
  const reporting = await run(events);
  expect(reporting.isDone).toBe(false);
  expect(reporting.actions.flat().slice(2)).toEqual([
    {
      actionType: CALL_ENTITY,
      instanceId: entity,
      operation: "complete",
      input: { generation: 7, outcome: "completed", summary: '{"rows":3}', starter: "nightly:7" },
    },
  ]);
  const done = await run([
    ...events.map((e) => ({ ...e, IsPlayed: true })),
    history.eventSent(2, entity, "complete", "req-complete"),
    history.orchestratorCompleted(),
    history.orchestratorStarted(false),
    history.entityResponse("req-complete", { released: true }),
  ]);
  expect(done.isDone).toBe(true);
  expect(done.output).toEqual({ rows: 3 });
});

test("failure reports complete(failed) before the orchestration fails with the original error", async () => {
  const events = [
    ...confirmed(),
    history.taskScheduled(1, "work"),
    history.orchestratorCompleted(),
    history.orchestratorStarted(false),
    history.taskFailed(1, "disk full"),
  ];
  const reporting = await run(events);
  expect(reporting.isDone).toBe(false);
  expect(reporting.error).toBeUndefined();
  const report = reporting.actions.flat()[2];
  expect(report).toMatchObject({
    actionType: CALL_ENTITY,
    operation: "complete",
    input: { generation: 7, outcome: "failed", starter: "nightly:7" },
  });
  expect((report.input as { summary: string }).summary).toContain("disk full");

  const failed = await run([
    ...events.map((e) => ({ ...e, IsPlayed: true })),
    history.eventSent(2, entity, "complete", "req-complete"),
    history.orchestratorCompleted(),
    history.orchestratorStarted(false),
    history.entityResponse("req-complete", { released: true }),
  ]).then(
    () => undefined,
    (err: Error) => err,
  );
  expect(failed?.message).toContain("disk full");
});

test("a run promoted by complete is started by the hand-over activity", async () => {
  const promoted = {
    job: "nightly",
    generation: 8,
    instanceId: "nightly:8",
    orchestrator: "testJob",
    requestId: "queued-1",
    input: { mode: "finite" },
  };
  const state = await run([
    ...confirmed(),
    history.taskScheduled(1, "work"),
    history.orchestratorCompleted(),
    history.orchestratorStarted(),
    history.taskCompleted(1, "ok", true),
    history.eventSent(2, entity, "complete", "req-complete"),
    history.orchestratorCompleted(),
    history.orchestratorStarted(false),
    history.entityResponse("req-complete", { released: true, promoted }),
  ]);
  expect(state.isDone).toBe(false);
  expect(state.actions.flat().slice(3)).toEqual([
    expect.objectContaining({
      functionName: "singletonStartRun",
      input: { run: promoted, input: promoted.input },
    }),
  ]);
});

test("continueAsNew keeps the lock: no complete report, and the next input carries the fencing token", async () => {
  const eternal = { job: "nightly", generation: 7, input: { mode: "eternal" } };
  const state = await run(
    [
      history.orchestratorStarted(),
      history.executionStarted("testJob", eternal),
      history.eventSent(0, entity, "confirm", "req-confirm"),
      history.orchestratorCompleted(),
      history.orchestratorStarted(),
      history.entityResponse("req-confirm", { status: "holder" }, true),
      history.taskScheduled(1, "work"),
      history.orchestratorCompleted(),
      history.orchestratorStarted(false),
      history.taskCompleted(1, "ok"),
    ],
    eternal,
  );
  expect(state.isDone).toBe(true);
  const all = state.actions.flat();
  expect(all.filter((a) => a.operation === "complete")).toEqual([]);
  expect(all.at(-1)).toEqual({
    actionType: CONTINUE_AS_NEW,
    input: { job: "nightly", generation: 7, cycle: 1, input: { mode: "eternal", round: 2 } },
  });
});

test("an input without the envelope fails the orchestration with a clear error", async () => {
  const err = await run(
    [history.orchestratorStarted(false), history.executionStarted("testJob", { x: 1 }, false)],
    {
      x: 1,
    },
  ).then(
    () => undefined,
    (e: Error) => e,
  );
  expect(err?.message).toContain("must be started through the job coordinator");
});

test("an input the job's check refuses fails the run before any user code, and the lock is reported released", async () => {
  const bad = { job: "nightly", generation: 7, input: { mode: "bad" } };
  const events = [
    history.orchestratorStarted(),
    history.executionStarted("testJob", bad),
    history.eventSent(0, entity, "confirm", "req-confirm"),
    history.orchestratorCompleted(),
    history.orchestratorStarted(false),
    history.entityResponse("req-confirm", { status: "holder" }, false),
  ];
  const reporting = await run(events, bad);
  expect(userCodeRuns).toBe(0);
  expect(reporting.actions.flat()[1]).toMatchObject({
    actionType: CALL_ENTITY,
    operation: "complete",
    input: {
      generation: 7,
      outcome: "failed",
      summary: "Error: Invalid input field 'mode': must not be bad",
    },
  });
});

describe("the follow-up orchestration (singletonRequest)", () => {
  const request = {
    requestId: "k",
    orchestrator: "testJob",
    policy: "reject",
    input: { mode: "finite" },
    starter: "tk",
  };
  const pending = { kind: "start", job: "nightly", request };
  const follow = (events: object[]) => {
    const fn = registered.get("singletonRequest");
    if (!fn) throw new Error("singletonRequest is not registered");
    return fn.handler(
      orchestrationTrigger("nightly@request@k@tk", events, pending),
      new InvocationContext({ functionName: "singletonRequest" }),
    ) as Promise<OrchestratorState>;
  };
  const asked = [
    history.orchestratorStarted(),
    history.executionStarted("singletonRequest", pending),
    history.eventSent(0, entity, "tryStart", "req-try"),
    history.orchestratorCompleted(),
  ];

  test("asks the entity directly with the starter's request and ticket", async () => {
    const state = await follow([
      history.orchestratorStarted(false),
      history.executionStarted("singletonRequest", pending, false),
    ]);
    expect(state.actions.flat()).toEqual([
      { actionType: CALL_ENTITY, instanceId: entity, operation: "tryStart", input: request },
    ]);
  });

  test("a run its ticket must start is started by the hand-over activity with the request's input; the output is the decision", async () => {
    const run = {
      job: "nightly",
      generation: 3,
      instanceId: "nightly:3",
      orchestrator: "testJob",
      requestId: "k",
    };
    const state = await follow([
      ...asked,
      history.orchestratorStarted(false),
      history.entityResponse("req-try", {
        kind: "started",
        generation: 3,
        instanceId: "nightly:3",
        mustStart: run,
      }),
    ]);
    expect(state.actions.flat().slice(1)).toEqual([
      expect.objectContaining({
        functionName: "singletonStartRun",
        input: { run, input: { mode: "finite" } },
      }),
    ]);
    const done = await follow([
      ...asked,
      history.orchestratorStarted(),
      history.entityResponse(
        "req-try",
        { kind: "started", generation: 3, instanceId: "nightly:3", mustStart: run },
        true,
      ),
      history.taskScheduled(1, "singletonStartRun"),
      history.orchestratorCompleted(),
      history.orchestratorStarted(false),
      history.taskCompleted(1, "started"),
    ]);
    expect(done).toMatchObject({
      isDone: true,
      output: { kind: "start", decision: { kind: "started", generation: 3, instanceId: "nightly:3" } },
    });
  });

  test("a rejection ends the follow-up with the rejection as its output, starting nothing", async () => {
    const holder = { generation: 2, instanceId: "nightly:2", phase: "running", orchestrator: "testJob" };
    const state = await follow([
      ...asked,
      history.orchestratorStarted(false),
      history.entityResponse("req-try", { kind: "rejected", reason: "held", holder }),
    ]);
    expect(state).toMatchObject({
      isDone: true,
      output: { kind: "start", decision: { kind: "rejected", reason: "held", holder } },
    });
    expect(state.actions.flat()).toHaveLength(1);
  });
});
