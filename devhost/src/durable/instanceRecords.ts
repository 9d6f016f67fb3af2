/**
 * Pure builders for orchestration instance records: a new instance, the next execution after
 * continueAsNew, and the ids the engine makes up for executions and unnamed sub-orchestrations.
 */
import { randomUUID } from "node:crypto";
import { EventType, historyEvent, toJsonText, type HistoryEvent } from "./history";
import type { InboxItem, InstanceRecord, ParentLink } from "./store";

/** A Pending instance whose inbox holds its ExecutionStarted event. */
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
    history: [],
    inbox: [{ event: executionStarted(name, version, instanceId, executionId, input, parent, now) }],
    parent,
    nextSequence: 0,
    consumedActions: 0,
    timerActions: {},
    openTimers: {},
    retries: {},
  };
}

/**
 * Turns `record` into its next execution (continueAsNew): a new execution id, empty history and an inbox
 * of ExecutionStarted followed by the `carried` external events, which are handed over unplayed.
 */
export function renewForContinueAsNew(
  record: InstanceRecord,
  input: unknown,
  carried: InboxItem[],
  now: number,
): void {
  const executionId = newExecutionId();
  record.executionId = executionId;
  record.input = input;
  record.output = undefined;
  record.history = [];
  record.inbox = [
    // The next execution keeps the version (DurableTask's ContinueAsNew without a new version).
    {
      event: executionStarted(
        record.name,
        record.version ?? "",
        record.instanceId,
        executionId,
        input,
        record.parent,
        now,
      ),
    },
    ...carried.map((i) => ({ event: { ...i.event, IsPlayed: false }, external: true })),
  ];
  record.nextSequence = 0;
  record.consumedActions = 0;
  record.timerActions = {};
  record.retries = {};
  delete record.httpCalls;
  delete record.lock;
  record.runtimeStatus = "ContinuedAsNew";
  record.lastUpdatedTime = now;
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
