/**
 * The singleton orchestration wrapper: `singletonOrchestration(name, handler, { checkInput })` registers
 * `handler` as a Durable orchestration that runs the steps of core/runSteps.ts: confirm that it holds its
 * job's lock before any user code, terminate replaced runs, run the user's code, report completion and
 * start the run promoted from the queue. This file only turns each step into a Durable task.
 *
 * - `context.df.getInput()` inside the handler is the caller's input (the envelope is unwrapped), and it
 *   has passed the job's `checkInput` (starters refuse a bad input with a 400 before deciding anything;
 *   the wrapper checks again, so a run started any other way fails cleanly before doing any work).
 * - `context.df.continueAsNew(input)` keeps the lock: the fencing token travels into the next input.
 */
import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler, Task } from "durable-functions";
import { COORDINATOR_ENTITY, START_RUN_ACTIVITY, TERMINATE_RUN_ACTIVITY } from "../core/names";
import { registerSingletonOrchestrator, type InputCheck } from "../core/orchestratorCatalog";
import { runSteps, type RunStep, type UserCodeOutcome } from "../core/runSteps";
import type { RunEnvelope } from "../core/types";

export interface SingletonRunInfo {
  job: string;
  generation: number;
}

export interface SingletonOptions {
  /** Refuses a bad input (HTTP 400 naming the field at the starters; a failed run inside the wrapper). */
  checkInput?: InputCheck;
}

const runInfo = new WeakMap<object, SingletonRunInfo>();

/** The job name and generation (fencing token) of the run a wrapped orchestration is executing. */
export function singletonRun(context: OrchestrationContext): SingletonRunInfo {
  const info = runInfo.get(context);
  if (!info)
    throw new Error(
      "singletonRun() is only available inside an orchestration registered with singletonOrchestration().",
    );
  return info;
}

/** Hand-over activities are retried: they start or terminate other instances and must not be lost. */
export const handoverRetry = new df.RetryOptions(1000, 5);

function isEnvelope(value: unknown): value is RunEnvelope {
  const v = value as RunEnvelope | undefined;
  return typeof v === "object" && v !== null && typeof v.job === "string" && Number.isInteger(v.generation);
}

/** Runs the user's handler as the wrapped orchestration's user code, with the envelope unwrapped. */
function* userCode(
  context: OrchestrationContext,
  envelope: RunEnvelope,
  handler: OrchestrationHandler,
  checkInput: InputCheck | undefined,
): Generator<Task, UserCodeOutcome, unknown> {
  const { job, generation } = envelope;
  const cycle = envelope.cycle ?? 0;
  let continuedAsNew = false;
  const dfContext = context.df;
  const originalContinueAsNew = dfContext.continueAsNew.bind(dfContext);
  Object.defineProperty(dfContext, "getInput", { value: () => envelope.input, configurable: true });
  Object.defineProperty(dfContext, "continueAsNew", {
    configurable: true,
    value: (input: unknown) => {
      continuedAsNew = true;
      const next: RunEnvelope = { job, generation, cycle: cycle + 1 };
      if (input !== undefined) next.input = input;
      originalContinueAsNew(next);
    },
  });
  runInfo.set(context, { job, generation });
  try {
    const problem = checkInput?.(envelope.input);
    if (problem) {
      throw new Error(`Invalid input${problem.field ? ` field '${problem.field}'` : ""}: ${problem.detail}`);
    }
    const value: unknown = yield* handler(context);
    return { ok: true, value, continuedAsNew };
  } catch (error) {
    return { ok: false, error };
  }
}

export function wrapSingleton(
  handler: OrchestrationHandler,
  options: SingletonOptions = {},
): OrchestrationHandler {
  return function* singleton(context: OrchestrationContext): Generator<Task, unknown, unknown> {
    const envelope = context.df.getInput<unknown>();
    if (!isEnvelope(envelope)) {
      throw new Error(
        "A singleton orchestration must be started through the job coordinator (its input carries the job name and generation).",
      );
    }
    const entityId = new df.EntityId(COORDINATOR_ENTITY, envelope.job);
    const steps = runSteps(envelope, context.df.instanceId);
    let feed: unknown = undefined;
    for (;;) {
      const next = steps.next(feed);
      if (next.done) {
        const end = next.value;
        if (end.kind === "superseded") {
          if (!context.df.isReplaying) {
            context.warn(
              `Run ${envelope.generation} of job '${envelope.job}' was superseded; no user code runs.`,
            );
          }
          return end.output;
        }
        if (end.kind === "threw") throw end.error;
        return end.value;
      }
      const step: RunStep = next.value;
      switch (step.kind) {
        case "confirm":
        case "complete":
          feed = yield context.df.callEntity(entityId, step.kind, step.input);
          break;
        case "terminate":
          feed = yield context.df.callActivityWithRetry(TERMINATE_RUN_ACTIVITY, handoverRetry, {
            instanceId: step.instanceId,
            reason: step.reason,
          });
          break;
        case "userCode":
          feed = yield* userCode(context, envelope, handler, options.checkInput);
          break;
        case "startRun":
          feed = yield context.df.callActivityWithRetry(START_RUN_ACTIVITY, handoverRetry, {
            run: step.run,
            input: step.run.input,
          });
          break;
      }
    }
  };
}

/** Registers `handler` as a singleton job orchestration named `name`. */
export function singletonOrchestration(
  name: string,
  handler: OrchestrationHandler,
  options: SingletonOptions = {},
): void {
  registerSingletonOrchestrator(name, options.checkInput);
  df.app.orchestration(name, wrapSingleton(handler, options));
}
