import type { FunctionInvoker } from "../contracts";
import type { WorkScheduler } from "./workScheduler";

export type ActivityOutcome = { ok: true; result: unknown } | { ok: false; failure: TaskFailure };

/** Failure fields of TaskFailed / SubOrchestrationInstanceFailed history events. */
export interface TaskFailure {
  Reason: string;
  Details: string;
  FailureDetails?: unknown;
}

/** Runs activity functions as fair work items as soon as they are scheduled; any number run concurrently. */
export class ActivityRunner {
  constructor(
    private readonly invoker: FunctionInvoker,
    private readonly scheduler: WorkScheduler,
  ) {}

  run(name: string, input: unknown, done: (outcome: ActivityOutcome) => void): void {
    // `done` (which queues the orchestrator's next episode) runs before the work item ends.
    this.scheduler.enqueue(() => this.invoke(name, input).then(done));
  }

  private async invoke(name: string, input: unknown): Promise<ActivityOutcome> {
    if (!this.invoker.hasFunction(name, "activityTrigger")) {
      const reason = `The function '${name}' doesn't exist, is disabled, or is not an activity function.`;
      return { ok: false, failure: { Reason: reason, Details: "" } };
    }
    try {
      return { ok: true, result: await this.invoker.invoke(name, "activityTrigger", input) };
    } catch (err) {
      return { ok: false, failure: activityFailure(name, err) };
    }
  }
}

/**
 * Maps an activity's thrown error to TaskFailed fields. When the SDK serialized FailureDetails into the
 * message (an exception properties provider is registered), they are passed on as FailureDetails.
 */
export function activityFailure(name: string, err: unknown): TaskFailure {
  const message = err instanceof Error ? err.message : String(err);
  const stack = err instanceof Error && err.stack ? err.stack : message;
  if (message.startsWith("{")) {
    try {
      const d = JSON.parse(message) as Record<string, unknown>;
      if (typeof d.errorType === "string") {
        const failureDetails = {
          ErrorType: d.errorType,
          ErrorMessage: d.errorMessage,
          StackTrace: d.stackTrace,
          IsNonRetriable: d.isNonRetriable ?? false,
          Properties: d.properties,
        };
        return {
          Reason: `Activity function '${name}' failed: ${String(d.errorMessage)}`,
          Details: String(d.stackTrace ?? ""),
          FailureDetails: failureDetails,
        };
      }
    } catch {
      // not FailureDetails JSON: an ordinary message starting with "{"
    }
  }
  return { Reason: `Activity function '${name}' failed: ${message}`, Details: stack };
}
