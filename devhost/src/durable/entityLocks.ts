/**
 * Entity critical sections (`context.df.lock(...)`, durable-functions 3.5 with OOProc schema V4), both sides:
 *
 * Orchestration side: the LockEntities action becomes one EventSent to the first entity of the (sorted) lock
 * set carrying a lock request (RequestMessage with `lockset` / `pos`, one sequence number, which the SDK
 * re-keys to the lock request id); ReleaseEntities becomes one release message per locked entity (the SDK
 * counts one sequence number per entity), as DurableOrchestrationContext.LockAsync / ReleaseLocks send them.
 * Locks still held when the orchestrator completes (or continues as new) are released then
 * (TaskOrchestrationShim releases them after the user code); a failed or terminated orchestration leaves
 * them held, as on the real host.
 *
 * Entity side (DurableTaskExtension's entity scheduler, SchedulerState.MayDequeue, TaskEntityShim
 * .ProcessLockRequest): a locked entity only runs operations from its lock holder (the others wait, in their
 * order); a lock request ends a batch, locks the entity and is forwarded to the next entity of the set, the
 * last one answering the orchestration with an EventRaised named by the request id.
 */
import { ActionType, type OrchestratorAction } from "./actions";
import type { EpisodeWork } from "./episode";
import { entitySchedulerId, parseSchedulerId } from "./entityRunner";
import { EventType, historyEvent, type HistoryEvent } from "./history";
import type { EntityOperation, EntityRecord, InstanceRecord, Message } from "./store";

/** Appends the lock request for a LockEntities action; returns why it cannot be sent, if it cannot. */
export function requestLock(work: EpisodeWork, action: OrchestratorAction): string | undefined {
  const { record } = work;
  const lockSet = Array.isArray(action.lockSet) ? (action.lockSet as { name: string; key: string }[]) : [];
  // DurableOrchestrationContext.LockAsync checks every entity function first (ThrowIfFunctionDoesNotExist).
  const missing = lockSet.find((e) => !work.dispatch.hasEntity(e.name));
  if (missing)
    return `The function '${missing.name}' doesn't exist, is disabled, or is not an entity function.`;
  const entities = lockSet.map((e) => entitySchedulerId(e.name, e.key));
  const id = record.nextSequence++;
  const requestId = String(action.lockRequestId);
  record.lock = { requestId, entities, granted: false };
  const message = {
    id: requestId,
    parent: work.instanceId,
    parentExecution: work.executionId,
    lockset: entities.map((e) => parseSchedulerId(e)),
    pos: 0,
  };
  work.appended.push(
    historyEvent(
      EventType.EventSent,
      work.now,
      { InstanceId: entities[0], Name: "op", Input: JSON.stringify(message) },
      id,
    ),
  );
  const op: EntityOperation = {
    requestId,
    operation: "",
    isSignal: false,
    parentInstanceId: work.instanceId,
    parentExecutionId: work.executionId,
    enqueuedAt: work.now,
    lock: { lockSet: entities, position: 0 },
  };
  work.effects.push(() => work.dispatch.sendEntityOperation(work.instanceId, entities[0], op));
  return undefined;
}

/** ReleaseEntities (or the end of the orchestrator): one release message per locked entity. */
export function releaseLock(work: EpisodeWork): void {
  const { record } = work;
  const lock = record.lock;
  if (!lock) return;
  delete record.lock;
  for (const entityId of lock.entities) {
    const id = record.nextSequence++;
    const message = { parent: work.instanceId, id: lock.requestId };
    work.appended.push(
      historyEvent(
        EventType.EventSent,
        work.now,
        { InstanceId: entityId, Name: "release", Input: JSON.stringify(message) },
        id,
      ),
    );
    work.effects.push(() => work.dispatch.releaseEntity(work.instanceId, entityId));
  }
}

/** The ReleaseEntities among the new actions of a failed episode. */
export function releasesOf(work: EpisodeWork, actions: OrchestratorAction[]): void {
  for (let i = work.record.consumedActions; i < actions.length; i++)
    if (actions[i].actionType === ActionType.ReleaseEntities) releaseLock(work);
}

/** The orchestrator is done: locks it still holds are released (never-granted requests are left alone). */
export function releaseHeldLocks(work: EpisodeWork): void {
  if (work.record.lock?.granted) releaseLock(work);
}

/** Notes the entities' answer to this execution's lock request. */
export function noteLockGranted(record: InstanceRecord, event: HistoryEvent): void {
  if (record.lock && event.EventType === EventType.EventRaised && event.Name === record.lock.requestId)
    record.lock.granted = true;
}

/** SchedulerState.MayDequeue: an operation may run unless the entity is locked by another orchestration. */
export function mayRun(record: EntityRecord, op: EntityOperation): boolean {
  return record.lockedBy === undefined || op.parentInstanceId === record.lockedBy;
}

/** One entity batch: the operations to run, the lock request that ends it, and every message it consumes. */
export interface EntityBatch {
  ops: EntityOperation[];
  lock?: EntityOperation;
  consumed: string[];
  /** A release in the batch unlocked the entity (the record changed even if no operation runs). */
  unlocked: boolean;
}

/**
 * The next batch from the entity's due messages, in order: releases apply as they come (a release from the
 * lock holder unlocks the entity); operations run while they may (a locked entity runs only its holder's,
 * which therefore go first); the first lock request that may run ends the batch.
 */
export function takeEntityBatch(record: EntityRecord, messages: Message[]): EntityBatch {
  const batch: EntityBatch = { ops: [], consumed: [], unlocked: false };
  for (const m of messages) {
    if (m.body.kind === "release") {
      batch.consumed.push(m.id);
      if (record.lockedBy === m.body.holder) {
        // Unlocked: the next batch looks at the waiting operations again from the first, in their order.
        delete record.lockedBy;
        batch.unlocked = true;
        break;
      }
      continue;
    }
    if (m.body.kind !== "operation" || !mayRun(record, m.body.op)) continue;
    batch.consumed.push(m.id);
    if (m.body.op.lock) {
      batch.lock = m.body.op;
      break;
    }
    batch.ops.push(m.body.op);
  }
  return batch;
}

/** Applies a lock request that reached the head of the queue; returns the entity to forward it to, if any. */
export function grantLock(record: EntityRecord, request: EntityOperation): EntityOperation | undefined {
  record.lockedBy = request.parentInstanceId;
  const lock = request.lock;
  if (!lock || lock.position + 1 >= lock.lockSet.length) return undefined;
  return { ...request, lock: { lockSet: lock.lockSet, position: lock.position + 1 } };
}

/** The answer the last entity of a lock set sends (the payload only shows up in traces). */
export function lockGrantedEvent(request: EntityOperation, now: number): HistoryEvent {
  return historyEvent(EventType.EventRaised, now, {
    Name: request.requestId,
    Input: JSON.stringify({ result: "Lock Acquisition Completed" }),
  });
}
