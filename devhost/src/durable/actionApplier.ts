/**
 * Applies the orchestrator's reply: every action not yet consumed becomes its scheduling history event
 * (with the sequence number the SDK gave it) plus the work that carries it out (activity, timer,
 * sub-orchestration, entity message); retried tasks get their retry state.
 */
import { randomUUID } from "node:crypto";
import { ActionType, decodeProcessedInput, type OrchestratorAction } from "./actions";
import type { EpisodeWork } from "./episode";
import { EventType, historyEvent, toJsonText } from "./history";
import { childInstanceId } from "./instanceRecords";
import type { EntityOperation } from "./store";
import { releaseLock, requestLock } from "./entityLocks";
import { scheduleHttp } from "./httpTasks";
import { newRetry } from "./taskRetries";

export interface AppliedActions {
  /** The ContinueAsNew action, carried out by the caller once the orchestrator is done. */
  continueAsNew?: OrchestratorAction;
  /** Why an action cannot be carried out; the orchestration then fails. */
  unsupported?: string;
}

/** Applies `actions` (flattened, the whole list so far) from `record.consumedActions` on. */
export function applyActions(work: EpisodeWork, actions: OrchestratorAction[]): AppliedActions {
  const { record } = work;
  applyTimerCancellations(work, actions);
  const applied: AppliedActions = {};
  for (let i = record.consumedActions; i < actions.length && !applied.unsupported; i++) {
    const action = actions[i];
    if (action.actionType === ActionType.ContinueAsNew) applied.continueAsNew = action;
    else applied.unsupported = scheduleAction(work, action, i);
  }
  record.consumedActions = actions.length;
  return applied;
}

/** Timers the orchestrator cancelled after scheduling them (e.g. the losing timer of a Task.any). */
function applyTimerCancellations(work: EpisodeWork, actions: OrchestratorAction[]): void {
  const { record } = work;
  for (const key of Object.keys(record.timerActions)) {
    const index = Number(key);
    if (index >= record.consumedActions || !actions[index]?.isCanceled) continue;
    const id = record.timerActions[index];
    delete record.timerActions[index];
    delete record.openTimers[id];
    work.dispatch.cancelTimer(record.instanceId, record.executionId, id);
  }
}

/** Appends the scheduling event for one new action and queues its work; returns an error for unsupported ones. */
function scheduleAction(work: EpisodeWork, action: OrchestratorAction, index: number): string | undefined {
  switch (action.actionType) {
    case ActionType.CallActivity:
    case ActionType.CallActivityWithRetry:
      scheduleActivity(work, action);
      return undefined;
    case ActionType.CallSubOrchestrator:
    case ActionType.CallSubOrchestratorWithRetry:
      scheduleSubOrchestration(work, action);
      return undefined;
    case ActionType.CreateTimer:
      scheduleTimer(work, action, index);
      return undefined;
    case ActionType.WaitForExternalEvent:
      // No sequence number: the SDK matches EventRaised events by name, buffering early ones.
      return undefined;
    case ActionType.CallEntity:
    case ActionType.SignalEntity:
      sendEntityMessage(work, action);
      return undefined;
    case ActionType.CallHttp:
      scheduleHttp(work, action);
      return undefined;
    case ActionType.LockEntities:
      return requestLock(work, action);
    case ActionType.ReleaseEntities:
      releaseLock(work);
      return undefined;
    default:
      return unsupportedAction(action.actionType);
  }
}

function scheduleActivity(work: EpisodeWork, action: OrchestratorAction): void {
  const { record } = work;
  const id = record.nextSequence++;
  const name = String(action.functionName);
  const input = decodeProcessedInput(action.input);
  const start = work.activity(id, name, input);
  if (action.actionType === ActionType.CallActivityWithRetry) {
    record.retries[id] = newRetry("activity", name, input, undefined, action.retryOptions, work.now);
  }
  work.effects.push(start);
}

function scheduleSubOrchestration(work: EpisodeWork, action: OrchestratorAction): void {
  const { record } = work;
  const id = record.nextSequence++;
  const name = String(action.functionName);
  const explicitId = action.instanceId || undefined;
  const childId = explicitId ?? childInstanceId(record.instanceId, id);
  // durable-functions 3.5 puts the version callSubOrchestrator was given on the action.
  const version = typeof action.version === "string" && action.version ? action.version : undefined;
  const start = work.subOrchestration(id, name, childId, action.input, version);
  if (action.actionType === ActionType.CallSubOrchestratorWithRetry) {
    const retry = newRetry("subOrchestration", name, action.input, explicitId, action.retryOptions, work.now);
    if (version) retry.version = version;
    record.retries[id] = retry;
  }
  work.effects.push(start);
}

function scheduleTimer(work: EpisodeWork, action: OrchestratorAction, index: number): void {
  const id = work.record.nextSequence++;
  const fireAt = Date.parse(String(action.fireAt));
  work.timerCreated(id, fireAt);
  if (action.isCanceled) return;
  work.record.timerActions[index] = id;
  work.armTimer(id, fireAt);
}

function sendEntityMessage(work: EpisodeWork, action: OrchestratorAction): void {
  const id = work.record.nextSequence++;
  const entityId = String(action.instanceId);
  const op = entityOperation(work, action);
  // The SDK re-keys a callEntity task from this EventId to the request id found in Input.
  const message = {
    id: op.requestId,
    op: op.operation,
    signal: op.isSignal,
    input: op.input,
    parent: op.parentInstanceId,
  };
  work.appended.push(
    historyEvent(
      EventType.EventSent,
      work.now,
      { InstanceId: entityId, Name: "op", Input: JSON.stringify(message) },
      id,
    ),
  );
  work.effects.push(() => work.dispatch.sendEntityOperation(work.instanceId, entityId, op));
}

/**
 * The operation queued on the entity. Like RequestMessage.ParentInstanceId it names the sending
 * orchestration (a locked entity runs only its lock holder's operations); a call also names the execution
 * waiting for its answer.
 */
function entityOperation(work: EpisodeWork, action: OrchestratorAction): EntityOperation {
  const isSignal = action.actionType === ActionType.SignalEntity;
  const op: EntityOperation = {
    requestId: randomUUID(),
    operation: String(action.operation),
    input: toJsonText(action.input),
    isSignal,
    parentInstanceId: work.instanceId,
    enqueuedAt: work.now,
  };
  if (!isSignal) op.parentExecutionId = work.executionId;
  return op;
}

function unsupportedAction(actionType: ActionType): string {
  switch (actionType) {
    case ActionType.ScheduledSignalEntity:
      return "scheduled entity signals are not supported by the devhost Durable engine";
    default:
      return `unknown orchestrator action type ${String(actionType)} is not supported by the devhost Durable engine`;
  }
}
