/**
 * One orchestration episode's input and output: the batch of inbox events it hands to the orchestrator,
 * and the work it produces (history events to append, side effects to start once the record is saved).
 */
import type { TaskFailure } from "./activityRunner";
import type { DurableHttpRequest } from "./durableHttp";
import { EventType, failedEvent, historyEvent, isoTime, toJsonText, type HistoryEvent } from "./history";
import type { EntityOperation, InboxItem, InstanceRecord, ParentLink } from "./store";

/** What the engine does outside the record: the side effects an episode queues. */
export interface TaskDispatch {
  deliver(instanceId: string, executionId: string, event: HistoryEvent): void;
  runActivity(instanceId: string, executionId: string, taskId: number, name: string, input: unknown): void;
  /** Sends a durable HTTP request; its answer completes the task `taskId`. */
  runHttp(instanceId: string, executionId: string, taskId: number, request: DurableHttpRequest): void;
  startChild(parent: ParentLink, childId: string, name: string, input: unknown, version: string): void;
  armTimer(instanceId: string, executionId: string, timerId: number, fireAt: number): void;
  cancelTimer(instanceId: string, executionId: string, timerId: number): void;
  /** Sends an entity operation from the orchestration instance `from`. */
  sendEntityOperation(from: string, entityId: string, op: EntityOperation): void;
  /** Sends the release of the lock orchestration `from` holds on the entity. */
  releaseEntity(from: string, entityId: string): void;
  /** True when an entity function of this name is registered. */
  hasEntity(name: string): boolean;
  /** host.json defaultVersion, for sub-orchestrations started without a version. */
  readonly defaultVersion: string;
  /** The OOProc replay schema the SDK replays with (the highest the engine offers). */
  readonly schemaVersion: number;
}

/**
 * How many events (from the front of `inbox`) one episode takes: the first event plus following ones up to
 * (not including) the next event the SDK numbers something for, so such an event always opens an episode and
 * its numbers precede new tasks'.
 */
export function batchLength(inbox: InboxItem[]): number {
  let n = 1;
  let external = inbox[0].external === true;
  while (n < inbox.length && !inbox[n].allocates) {
    // One raised event per episode: a continueAsNew then leaves the later ones queued for the next execution.
    if (inbox[n].external) {
      if (external) break;
      external = true;
    }
    n++;
  }
  return n;
}

/**
 * History events one episode appends after the orchestrator's reply, and the effects that run only once
 * the record holding those events is saved (so an answer can never overtake its scheduling event).
 */
export class EpisodeWork {
  readonly appended: HistoryEvent[] = [];
  readonly effects: (() => void)[] = [];
  /** The execution the episode started for: every effect is addressed to it. */
  readonly instanceId: string;
  readonly executionId: string;

  constructor(
    readonly record: InstanceRecord,
    readonly now: number,
    readonly dispatch: TaskDispatch,
  ) {
    this.instanceId = record.instanceId;
    this.executionId = record.executionId;
  }

  /** Appends TaskScheduled; returns the start of the activity for the caller to queue (or a retry to skip). */
  activity(id: number, name: string, input: unknown): () => void {
    this.appended.push(
      historyEvent(EventType.TaskScheduled, this.now, { Name: name, Input: toJsonText(input) }, id),
    );
    return () => this.dispatch.runActivity(this.instanceId, this.executionId, id, name, input);
  }

  /**
   * Appends SubOrchestrationInstanceCreated; returns the start of the child for the caller to queue. The
   * child gets `version`, else host.json's defaultVersion (as the extension gives sub-orchestrations).
   */
  subOrchestration(
    id: number,
    name: string,
    childId: string,
    input: unknown,
    version: string | undefined,
  ): () => void {
    const childVersion = version || this.dispatch.defaultVersion;
    this.appended.push(
      historyEvent(
        EventType.SubOrchestrationInstanceCreated,
        this.now,
        { Name: name, Version: childVersion, InstanceId: childId, Input: toJsonText(input) },
        id,
      ),
    );
    const parent: ParentLink = {
      instanceId: this.instanceId,
      executionId: this.executionId,
      taskScheduledId: id,
    };
    return () => this.dispatch.startChild(parent, childId, name, input, childVersion);
  }

  timerCreated(id: number, fireAt: number): void {
    this.appended.push(historyEvent(EventType.TimerCreated, this.now, { FireAt: isoTime(fireAt) }, id));
  }

  /** Records the timer as open and queues arming it. */
  armTimer(id: number, fireAt: number): void {
    this.record.openTimers[id] = fireAt;
    this.effects.push(() => this.dispatch.armTimer(this.instanceId, this.executionId, id, fireAt));
  }

  /** Answers the task with sequence number `id` with a failure event, addressed to this execution. */
  deliverFailure(id: number, type: EventType, failure: TaskFailure): void {
    this.dispatch.deliver(this.instanceId, this.executionId, failedEvent(type, id, failure, this.now));
  }
}
