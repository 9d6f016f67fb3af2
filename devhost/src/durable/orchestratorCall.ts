/**
 * The orchestration trigger's input (history plus the settings the extension sends with it) and the
 * reading of the orchestrator's reply or failure.
 */
import { orchestratorStateFromError, type OrchestratorResult } from "./actions";
import type { HistoryEvent } from "./history";
import { DEFAULT_ASYNC_SLEEP_MS } from "./httpTasks";
import type { InstanceRecord } from "./store";

/** Sent as the orchestration trigger's timer settings: timers are never split into long-timer chunks. */
const MAXIMUM_SHORT_TIMER_DURATION = "36500.00:00:00";
const LONG_RUNNING_TIMER_INTERVAL = "3.00:00:00";

export interface OrchestratorFailure {
  message: string;
  details?: unknown;
  /** The actions of the failed episode, when the SDK attached its state. */
  actions?: unknown;
}

/** What the orchestrator function is invoked with: the stored history followed by this episode's events. */
export function orchestrationTrigger(
  record: InstanceRecord,
  newEvents: HistoryEvent[],
  schemaVersion: number,
): Record<string, unknown> {
  return {
    history: record.history.concat(newEvents),
    input: record.input,
    instanceId: record.instanceId,
    isReplaying: record.history.length > 0,
    parentInstanceId: record.parent?.instanceId,
    upperSchemaVersion: Math.min(schemaVersion, 2),
    upperSchemaVersionNew: schemaVersion >= 3 ? schemaVersion : undefined,
    longRunningTimerIntervalDuration: LONG_RUNNING_TIMER_INTERVAL,
    maximumShortTimerDuration: MAXIMUM_SHORT_TIMER_DURATION,
    defaultHttpAsyncRequestSleepTimeMillseconds: DEFAULT_ASYNC_SLEEP_MS,
  };
}

export function missingOrchestrator(name: string): OrchestratorFailure {
  return {
    message: `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`,
  };
}

/** The invocation's return value as an OrchestratorState; throws when there is none. */
export function orchestratorResult(returned: unknown): OrchestratorResult {
  const result = returned as OrchestratorResult;
  if (!result || typeof result !== "object")
    throw new Error("the orchestrator returned no OrchestratorState");
  return result;
}

/** An orchestrator failure, with the SDK's message and failure details when it attached its state. */
export function orchestratorFailure(err: unknown): OrchestratorFailure {
  const state = orchestratorStateFromError(err);
  return {
    message: state?.error ?? (err instanceof Error ? err.message : String(err)),
    details: state?.failureDetails,
    actions: state?.actions,
  };
}
