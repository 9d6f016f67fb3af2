/**
 * Engine-side mirror of retried tasks (CallActivityWithRetry / CallSubOrchestratorWithRetry). While it
 * replays a retried task's failure the SDK numbers a retry timer, and while it replays that timer it numbers
 * the next attempt; the engine allocates the same sequence numbers in the same episode.
 */
import type { EpisodeWork } from "./episode";
import { EventType, type HistoryEvent } from "./history";
import { childInstanceId } from "./instanceRecords";
import { nextRetryDelay, retryPolicyFrom } from "./retry";
import type { InstanceRecord, RetryState } from "./store";

export function newRetry(
  kind: RetryState["kind"],
  name: string,
  input: unknown,
  instanceId: string | undefined,
  retryOptions: unknown,
  now: number,
): RetryState {
  const retry: RetryState = {
    kind,
    name,
    input,
    policy: retryPolicyFrom(retryOptions),
    attempt: 1,
    firstAttemptAt: now,
    phase: "attempt",
  };
  if (instanceId !== undefined) retry.instanceId = instanceId;
  return retry;
}

/** True when the SDK will assign a sequence number while replaying `event` (see InboxItem.allocates). */
export function allocatesOnReplay(record: InstanceRecord, event: HistoryEvent): boolean {
  switch (event.EventType) {
    case EventType.TaskFailed:
    case EventType.SubOrchestrationInstanceFailed:
      return record.retries[event.TaskScheduledId as number]?.phase === "attempt";
    case EventType.TaskCompleted:
    case EventType.SubOrchestrationInstanceCompleted:
      delete record.retries[event.TaskScheduledId as number];
      return false;
    case EventType.TimerFired: {
      const id = event.TimerId as number;
      const retry = record.retries[id];
      if (retry?.phase !== "timer") return false;
      if (retry.attempt <= retry.policy.maxNumberOfAttempts) return true;
      // Attempts exhausted: the SDK now fails the task with the last error, numbering nothing.
      delete record.retries[id];
      return false;
    }
    default:
      return false;
  }
}

/** Handles the event that opens this episode for a retried task: retry timer after a failure, next attempt after the timer. */
export function continueRetry(work: EpisodeWork, event: HistoryEvent): void {
  if (
    event.EventType === EventType.TaskFailed ||
    event.EventType === EventType.SubOrchestrationInstanceFailed
  ) {
    scheduleRetryTimer(work, event);
  } else if (event.EventType === EventType.TimerFired) {
    scheduleNextAttempt(work, event.TimerId as number);
  }
}

function scheduleRetryTimer(work: EpisodeWork, failure: HistoryEvent): void {
  const { record, now } = work;
  const failedId = failure.TaskScheduledId as number;
  const retry = record.retries[failedId];
  if (!retry) return;
  delete record.retries[failedId];
  const failedAttempt = retry.attempt;
  retry.attempt++;
  retry.lastFailure = { Reason: String(failure.Reason ?? ""), Details: String(failure.Details ?? "") };
  if (failure.FailureDetails !== undefined) retry.lastFailure.FailureDetails = failure.FailureDetails;
  let delay = nextRetryDelay(retry.policy, failedAttempt, retry.firstAttemptAt, now);
  if (delay === undefined) {
    retry.giveUp = true;
    delay = 0;
  }
  // DurableTask's retry loop waits on a timer after every failure, the last one included; the SDK expects it.
  const timerId = record.nextSequence++;
  retry.phase = "timer";
  record.retries[timerId] = retry;
  work.timerCreated(timerId, now + delay);
  work.armTimer(timerId, now + delay);
}

function scheduleNextAttempt(work: EpisodeWork, timerId: number): void {
  const { record } = work;
  const retry = record.retries[timerId];
  if (!retry) return;
  delete record.retries[timerId];
  const attemptId = record.nextSequence++;
  retry.phase = "attempt";
  record.retries[attemptId] = retry;
  const lastFailure = retry.lastFailure;
  const isActivity = retry.kind === "activity";
  const start = isActivity
    ? work.activity(attemptId, retry.name, retry.input)
    : work.subOrchestration(
        attemptId,
        retry.name,
        retry.instanceId ?? childInstanceId(work.instanceId, attemptId),
        retry.input,
        retry.version,
      );
  const failedType = isActivity ? EventType.TaskFailed : EventType.SubOrchestrationInstanceFailed;
  work.effects.push(() => {
    // Past the retry timeout the attempt is not run: the SDK gets the last failure as its outcome.
    if (retry.giveUp && lastFailure) work.deliverFailure(attemptId, failedType, lastFailure);
    else start();
  });
}
