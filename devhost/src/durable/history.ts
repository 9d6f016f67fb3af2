/**
 * History events in the shape the Durable extension hands to out-of-proc SDKs (DurableTask.Core's
 * HistoryEvent serialized with PascalCase fields and a numeric EventType).
 */

import type { TaskFailure } from "./activityRunner";

export enum EventType {
  ExecutionStarted = 0,
  ExecutionCompleted = 1,
  ExecutionFailed = 2,
  ExecutionTerminated = 3,
  TaskScheduled = 4,
  TaskCompleted = 5,
  TaskFailed = 6,
  SubOrchestrationInstanceCreated = 7,
  SubOrchestrationInstanceCompleted = 8,
  SubOrchestrationInstanceFailed = 9,
  TimerCreated = 10,
  TimerFired = 11,
  OrchestratorStarted = 12,
  OrchestratorCompleted = 13,
  EventSent = 14,
  EventRaised = 15,
  ContinueAsNew = 16,
  GenericEvent = 17,
  HistoryState = 18,
  ExecutionSuspended = 19,
  ExecutionResumed = 20,
}

export interface HistoryEvent {
  EventType: EventType;
  /** Sequence number of the scheduling action, or -1 for events that answer or are not actions. */
  EventId: number;
  IsPlayed: boolean;
  /** ISO-8601 UTC. */
  Timestamp: string;
  [field: string]: unknown;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

export function historyEvent(
  type: EventType,
  nowMs: number,
  fields: Record<string, unknown> = {},
  eventId = -1,
): HistoryEvent {
  return { EventType: type, EventId: eventId, IsPlayed: false, Timestamp: isoTime(nowMs), ...fields };
}

/** A TaskFailed / SubOrchestrationInstanceFailed event answering the task with sequence number `taskScheduledId`. */
export function failedEvent(
  type: EventType,
  taskScheduledId: number,
  failure: TaskFailure,
  now: number,
): HistoryEvent {
  const fields: Record<string, unknown> = {
    TaskScheduledId: taskScheduledId,
    Reason: failure.Reason,
    Details: failure.Details,
  };
  if (failure.FailureDetails !== undefined) fields.FailureDetails = failure.FailureDetails;
  return historyEvent(type, now, fields);
}

/** JSON text for a history Input/Result field; undefined stays absent like the extension's null. */
export function toJsonText(value: unknown): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value);
}

export function parseJsonText(text: string | undefined | null): unknown {
  if (text === undefined || text === null || text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Renders history the way the HTTP status API shows it (`showHistory=true`): event type names, no internals. */
export function historyForStatus(
  history: readonly HistoryEvent[],
  withOutputs: boolean,
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const e of history) {
    if (e.EventType === EventType.OrchestratorStarted || e.EventType === EventType.OrchestratorCompleted)
      continue;
    const row: Record<string, unknown> = { EventType: EventType[e.EventType], Timestamp: e.Timestamp };
    if (e.EventId >= 0) row.EventId = e.EventId;
    for (const key of [
      "Name",
      "FunctionName",
      "InstanceId",
      "TaskScheduledId",
      "TimerId",
      "FireAt",
      "Reason",
      "Details",
      "Data",
    ]) {
      if (e[key] !== undefined) row[key] = e[key];
    }
    if (withOutputs) {
      if (e.Input !== undefined) row.Input = parseJsonText(e.Input as string);
      if (e.Result !== undefined) row.Result = parseJsonText(e.Result as string);
    }
    out.push(row);
  }
  return out;
}
