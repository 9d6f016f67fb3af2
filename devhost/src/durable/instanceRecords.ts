/**
 * Pure builders for orchestration instance records: a new instance, the next execution after
 * continueAsNew, and the ids the engine makes up for executions and unnamed sub-orchestrations.
 */
import { randomUUID } from "node:crypto";
import { EventType, historyEvent, toJsonText, type HistoryEvent } from "./history";
import type { InstanceRecord, ParentLink } from "./store";

/** A Pending instance; its ExecutionStarted event is sent to it as its first message (`startMessageId`). */
export function newInstanceRecord(
  name: string,
  instanceId: string,
  input: unknown,
  parent: ParentLink | undefined,
  now: number,
  version = "",
): InstanceRecord {
  const executionId = newExecutionId();
  return {
    instanceId,
    name,
    version,
    executionId,
    runtimeStatus: "Pending",
    input,
    output: undefined,
    customStatus: undefined,
    createdTime: now,
    lastUpdatedTime: now,
    revision: 0,
    history: [],
    parent,
    nextSequence: 0,
    consumedActions: 0,
    timerActions: {},
    openTimers: {},
    retries: {},
  };
}

/**
 * Turns `record` into its next execution (continueAsNew): a new execution id and an empty history. Its
 * ExecutionStarted event is sent to it as a message (see `startEvent`).
 */
export function renewForContinueAsNew(record: InstanceRecord, input: unknown, now: number): void {
  record.executionId = newExecutionId();
  record.input = input;
  record.output = undefined;
  record.history = [];
  record.nextSequence = 0;
  record.consumedActions = 0;
  record.timerActions = {};
  record.openTimers = {};
  record.retries = {};
  delete record.httpCalls;
  delete record.lock;
  record.runtimeStatus = "ContinuedAsNew";
  record.lastUpdatedTime = now;
}

/** The ExecutionStarted event of the record's current execution (the next one keeps the version). */
export function startEvent(record: InstanceRecord, now: number): HistoryEvent {
  return executionStarted(
    record.name,
    record.version ?? "",
    record.instanceId,
    record.executionId,
    record.input,
    record.parent,
    now,
  );
}

/** The id of an execution's start message (a resend is a no-op). */
export function startMessageId(record: InstanceRecord): string {
  return `start:${record.instanceId}:${record.executionId}`;
}

/** Instance id of a sub-orchestration started without one: deterministic from the parent and the task. */
export function childInstanceId(parentId: string, taskId: number): string {
  return `${parentId}:${taskId.toString(16).padStart(4, "0")}`;
}

function newExecutionId(): string {
  return randomUUID().replace(/-/g, "");
}

function executionStarted(
  name: string,
  version: string,
  instanceId: string,
  executionId: string,
  input: unknown,
  parent: ParentLink | undefined,
  now: number,
): HistoryEvent {
  return historyEvent(EventType.ExecutionStarted, now, {
    Name: name,
    Version: version,
    Input: toJsonText(input),
    OrchestrationInstance: { InstanceId: instanceId, ExecutionId: executionId },
    ParentInstance: parent
      ? {
          OrchestrationInstance: { InstanceId: parent.instanceId, ExecutionId: parent.executionId },
          TaskScheduleId: parent.taskScheduledId,
        }
      : undefined,
  });
}
