/**
 * The singleton orchestration wrapper: `singletonOrchestration(name, handler)` registers `handler` as a
 * Durable orchestration that first confirms it holds its job's lock and reports back when it ends.
 *
 * - `confirm` (callEntity) runs before any user code; a `superseded` answer ends the orchestration
 *   without running user code (a late start of a run whose lease was taken over, or a duplicate start).
 * - success reports `complete(completed)`; an exception reports `complete(failed)` and then fails the
 *   orchestration with the original error.
 * - `context.df.continueAsNew(input)` keeps the lock: the fencing token travels into the next input.
 * - a run promoted from the queue when this one releases the lock is started by an activity, so the
 *   hand-over survives a crash (the activity is retried on replay).
 */
import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler, Task } from "durable-functions";
import { COORDINATOR_ENTITY, START_RUN_ACTIVITY, TERMINATE_RUN_ACTIVITY } from "../core/names";
import { registerSingletonOrchestrator } from "../core/orchestratorCatalog";
import { errorSummary, outputSummary } from "../core/summary";
import type { CompleteInput, ConfirmAnswer, ReleaseAnswer, RunEnvelope } from "../core/types";

export interface SingletonRunInfo {
  job: string;
  generation: number;
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

const handoverRetry = new df.RetryOptions(1000, 5);

function isEnvelope(value: unknown): value is RunEnvelope {
  const v = value as RunEnvelope | undefined;
  return typeof v === "object" && v !== null && typeof v.job === "string" && Number.isInteger(v.generation);
}

export function wrapSingleton(handler: OrchestrationHandler): OrchestrationHandler {
  return function* singleton(context: OrchestrationContext): Generator<Task, unknown, unknown> {
    const envelope = context.df.getInput<unknown>();
    if (!isEnvelope(envelope)) {
      throw new Error(
        "A singleton orchestration must be started through the job coordinator (its input carries the job name and generation).",
      );
    }
    const { job, generation } = envelope;
    const cycle = envelope.cycle ?? 0;
    const entityId = new df.EntityId(COORDINATOR_ENTITY, job);
    const answer = (yield context.df.callEntity(entityId, "confirm", {
      generation,
      instanceId: context.df.instanceId,
      cycle,
    })) as ConfirmAnswer;
    if (answer.status !== "holder") {
      if (!context.df.isReplaying)
        context.warn(`Run ${generation} of job '${job}' was superseded; no user code runs.`);
      return { superseded: true, job, generation };
    }
    // Replaced runs that may still be executing are terminated before any user code runs.
    for (const replaced of answer.terminate ?? []) {
      yield context.df.callActivityWithRetry(TERMINATE_RUN_ACTIVITY, handoverRetry, {
        instanceId: replaced.instanceId,
        reason: `replaced by generation ${generation} of job '${job}'`,
      });
    }

    // The user's code sees its own input, and continueAsNew keeps the envelope (and so the lock).
    let continued = false;
    const dfContext = context.df;
    const originalContinueAsNew = dfContext.continueAsNew.bind(dfContext);
    Object.defineProperty(dfContext, "getInput", { value: () => envelope.input, configurable: true });
    Object.defineProperty(dfContext, "continueAsNew", {
      configurable: true,
      value: (input: unknown) => {
        continued = true;
        const next: RunEnvelope = { job, generation, cycle: cycle + 1 };
        if (input !== undefined) next.input = input;
        originalContinueAsNew(next);
      },
    });
    runInfo.set(context, { job, generation });

    let result: unknown;
    try {
      result = yield* handler(context);
    } catch (error) {
      yield* report(context, entityId, { generation, outcome: "failed", summary: errorSummary(error) });
      throw error;
    }
    if (continued) return result;
    const summary = outputSummary(result);
    yield* report(
      context,
      entityId,
      summary === undefined
        ? { generation, outcome: "completed" }
        : { generation, outcome: "completed", summary },
    );
    return result;
  };
}

function* report(
  context: OrchestrationContext,
  entityId: df.EntityId,
  input: CompleteInput,
): Generator<Task, void, unknown> {
  const answer = (yield context.df.callEntity(entityId, "complete", input)) as ReleaseAnswer;
  if (answer.promoted) {
    yield context.df.callActivityWithRetry(START_RUN_ACTIVITY, handoverRetry, answer.promoted);
  }
}

/** Registers `handler` as a singleton job orchestration named `name`. */
export function singletonOrchestration(name: string, handler: OrchestrationHandler): void {
  registerSingletonOrchestrator(name);
  df.app.orchestration(name, wrapSingleton(handler));
}
