/** The singleton wrapper, driven through the registered orchestration handler with host-shaped histories. */
jest.mock("@azure/functions-core", () => jest.requireActual("../helpers/fakeFunctionsCore"), {
  virtual: true,
});

import { InvocationContext } from "@azure/functions";
import type { OrchestrationContext } from "durable-functions";
import { registered } from "../helpers/fakeFunctionsCore";
import { history, orchestrationTrigger } from "../helpers/history";
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
singletonOrchestration("testJob", function* (context: OrchestrationContext) {
  userCodeRuns++;
  const input = context.df.getInput<{ mode: string }>();
  const value = yield context.df.callActivity("work", input);
  if (input.mode === "eternal") {
    context.df.continueAsNew({ mode: "eternal", round: 2 });
    return undefined;
  }
  return value;
});

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
      input: { generation: 7, outcome: "completed", summary: '{"rows":3}' },
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
    input: { generation: 7, outcome: "failed" },
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
    expect.objectContaining({ functionName: "singletonStartRun", input: promoted }),
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
