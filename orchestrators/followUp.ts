/**
 * The follow-up orchestration (`singletonRequest`): finishes a start or release request whose starter ran
 * out of its wait budget, by driving core/followUp.ts. Its instance id is
 * `<job>@request@<requestId>@<ticket>`; its output is the request's final answer, which
 * `GET /api/jobs/{job}/requests/{requestId}` serves.
 */
import * as df from "durable-functions";
import type { OrchestrationContext, Task } from "durable-functions";
import { followUpSteps, type FollowUpStep, type PendingRequest } from "../core/followUp";
import {
  COORDINATOR_ENTITY,
  FOLLOW_UP_ORCHESTRATOR,
  START_RUN_ACTIVITY,
  TERMINATE_RUN_ACTIVITY,
} from "../core/names";
import { handoverRetry } from "./singleton";

function* followUp(context: OrchestrationContext): Generator<Task, unknown, unknown> {
  const steps = followUpSteps(context.df.getInput<PendingRequest>());
  let feed: unknown = undefined;
  for (;;) {
    const next = steps.next(feed);
    if (next.done) return next.value;
    const step: FollowUpStep = next.value;
    switch (step.kind) {
      case "callEntity":
        feed = yield context.df.callEntity(
          new df.EntityId(COORDINATOR_ENTITY, step.job),
          step.operation,
          step.input,
        );
        break;
      case "terminate":
        try {
          // Best effort: the new run's own orchestration terminates it too before running user code.
          feed = yield context.df.callActivityWithRetry(TERMINATE_RUN_ACTIVITY, handoverRetry, {
            instanceId: step.instanceId,
            reason: step.reason,
          });
        } catch {
          feed = undefined;
        }
        break;
      case "waitUntil":
        feed = yield context.df.createTimer(new Date(step.at));
        break;
      case "startRun":
        feed = yield context.df.callActivityWithRetry(START_RUN_ACTIVITY, handoverRetry, {
          run: step.run,
          input: step.input,
        });
        break;
    }
  }
}

df.app.orchestration(FOLLOW_UP_ORCHESTRATOR, followUp);
