/**
 * Work items: activity executions and durable HTTP requests (the built-in HTTP activity), one message each
 * (see ./messageBus). A work item runs when its message is due, any number at a time, in no order among an
 * instance's items. Its result is sent to the orchestration in the same step that deletes the work item, so a
 * crash before that step runs the work item again after a restart (at least once, as on Azure), and a result
 * is never delivered twice.
 */
import { killPoint } from "./killPoints";
import type { FunctionInvoker } from "../contracts";
import { sendDurableHttp } from "./durableHttp";
import { EventType, failedEvent, historyEvent } from "./history";
import type { MessageBus } from "./messageBus";
import type { Log } from "./orchestrationRunner";
import { type DurableStore, type Message, workTarget } from "./store";
import type { WorkScheduler } from "./workScheduler";

export type ActivityOutcome = { ok: true; result: unknown } | { ok: false; failure: TaskFailure };

/** Failure fields of TaskFailed / SubOrchestrationInstanceFailed history events. */
export interface TaskFailure {
  Reason: string;
  Details: string;
  FailureDetails?: unknown;
}

export interface WorkRunnerDeps {
  store: DurableStore;
  bus: MessageBus;
  invoker: FunctionInvoker;
  scheduler: WorkScheduler;
  log: Log;
  /** Sends a work item's result to its orchestration execution (inside the current step). */
  sendResult(
    instanceId: string,
    executionId: string,
    event: ReturnType<typeof historyEvent>,
    id: string,
  ): void;
}

export class WorkRunner {
  /** Work items started and not committed yet (a wake while one runs must not start it again). */
  private readonly running = new Set<string>();

  constructor(private readonly deps: WorkRunnerDeps) {}

  /** Called when the instance's work items have due messages: starts every one not running yet. */
  schedule(instanceId: string): void {
    for (const message of this.deps.bus.due(workTarget(instanceId))) {
      if (this.running.has(message.id)) continue;
      this.running.add(message.id);
      this.deps.scheduler.enqueue(() => this.run(instanceId, message));
    }
  }

  private async run(instanceId: string, message: Message): Promise<void> {
    try {
      const body = message.body;
      if (body.kind !== "activity" && body.kind !== "http") return;
      const name = body.kind === "activity" ? body.name : `http ${body.request.method}`;
      killPoint("activity-start", () => name);
      const outcome =
        body.kind === "activity"
          ? await runActivity(this.deps.invoker, body.name, body.input)
          : await sendDurableHttp(body.request);
      killPoint("activity-ran", () => name);
      const { bus } = this.deps;
      bus.step(() => {
        // Purged meanwhile: the instance is gone, and so is this work item.
        if (!this.deps.store.messagesFor(workTarget(instanceId)).some((m) => m.id === message.id)) return;
        bus.consume(message.id);
        const now = bus.now();
        const event = outcome.ok
          ? historyEvent(EventType.TaskCompleted, now, {
              TaskScheduledId: body.taskId,
              Result:
                body.kind === "http"
                  ? JSON.stringify(outcome.result)
                  : JSON.stringify(outcome.result ?? null),
            })
          : failedEvent(EventType.TaskFailed, body.taskId, outcome.failure, now);
        this.deps.sendResult(instanceId, body.executionId, event, `result:${message.id}`);
      });
    } catch (err) {
      this.deps.log("error", `Durable engine error in a work item of '${instanceId}': ${String(err)}`);
    } finally {
      this.running.delete(message.id);
    }
  }
}

/** Calls an activity function; a missing one or a thrown error is its failure. */
export async function runActivity(
  invoker: FunctionInvoker,
  name: string,
  input: unknown,
): Promise<ActivityOutcome> {
  if (!invoker.hasFunction(name, "activityTrigger")) {
    const reason = `The function '${name}' doesn't exist, is disabled, or is not an activity function.`;
    return { ok: false, failure: { Reason: reason, Details: "" } };
  }
  try {
    return { ok: true, result: await invoker.invoke(name, "activityTrigger", input) };
  } catch (err) {
    return { ok: false, failure: activityFailure(name, err) };
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
