/**
 * Orchestration episodes: hands the history to the orchestrator function, turns the actions it returns
 * into history events plus work (activities, timers, sub-orchestrations, entity messages), and feeds the
 * results back as new events. Sequence numbers mirror what DurableTask.Core and the JS SDK assign, so the
 * SDK's replay matches every completion to its task.
 *
 * This module coordinates: episodes (one at a time per instance), the instance lifecycle and delivery of
 * new events. How actions become history and work lives in actionApplier / taskRetries / episode.
 */
import type { Clock } from "../clock";
import type { FunctionInvoker } from "../contracts";
import {
  decodeProcessedInput,
  flattenActions,
  type OrchestratorAction,
  type OrchestratorResult,
} from "./actions";
import { applyActions } from "./actionApplier";
import type { ActivityOutcome, ActivityRunner, TaskFailure } from "./activityRunner";
import { DurableTimers } from "./durableTimers";
import { sendDurableHttp, type DurableHttpRequest } from "./durableHttp";
import { noteLockGranted, releaseHeldLocks, releasesOf } from "./entityLocks";
import { EpisodeWork, takeBatch, type TaskDispatch } from "./episode";
import { EventType, failedEvent, historyEvent, toJsonText, type HistoryEvent } from "./history";
import { newInstanceRecord, renewForContinueAsNew } from "./instanceRecords";
import type { MessageDelivery } from "./latency";
import {
  missingOrchestrator,
  orchestrationTrigger,
  orchestratorFailure,
  orchestratorResult,
  type OrchestratorFailure,
} from "./orchestratorCall";
import {
  TERMINAL_STATUSES,
  type DurableStore,
  type EntityOperation,
  type InboxItem,
  type InstanceRecord,
  type ParentLink,
} from "./store";
import { continueHttpPolling, httpAllocatesOnReplay, pollAfterTimer } from "./httpTasks";
import { pendingTimers, restartChildTask, resumeRewoundTasks, rewindHistory } from "./rewind";
import { allocatesOnReplay, continueRetry } from "./taskRetries";
import type { WorkScheduler } from "./workScheduler";

export type Log = (level: "information" | "warning" | "error", message: string) => void;

export interface OrchestrationRunnerDeps {
  store: DurableStore;
  invoker: FunctionInvoker;
  clock: Clock;
  /** Runs episodes as fair work items (see ./workScheduler). */
  scheduler: WorkScheduler;
  activities: ActivityRunner;
  log: Log;
  /** Highest OOProc replay schema offered to the SDK (ReplaySchema: V1=0 .. V4=3). */
  schemaVersion: number;
  /** Carries every message the runner sends (immediately, or late with latency on). */
  messages: MessageDelivery;
  /** Sends an entity operation from the orchestration instance `from`. */
  sendEntityOperation(from: string, entityId: string, op: EntityOperation): void;
  /** Sends the release of the lock orchestration `from` holds on the entity. */
  releaseEntityLock(from: string, entityId: string): void;
  /** host.json defaultVersion: the version of instances started without one ("" when unset). */
  defaultVersion: string;
}

/**
 * What a client's control call finds: `wrongState` is a suspend of a suspended instance or a resume of one
 * that is not suspended (DurableClient.SuspendAsync / ResumeAsync throw InvalidOperationException then).
 */
export type ControlResult = "ok" | "notFound" | "notRunning" | "wrongState";
export type ControlKind = "terminate" | "suspend" | "resume";

export class OrchestrationRunner {
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  /** Instances whose ExecutionStarted message is on its way: execution id awaited. They run no episode yet. */
  private readonly awaitingStart = new Map<string, string>();
  private readonly timers: DurableTimers;
  private readonly dispatch: TaskDispatch;

  constructor(private readonly deps: OrchestrationRunnerDeps) {
    const deliver = (instanceId: string, executionId: string, event: HistoryEvent) => {
      this.deliver(instanceId, executionId, event);
    };
    this.timers = new DurableTimers(deps.clock, deliver);
    // The only way the episode modules (actionApplier, taskRetries) act outside the record they are given.
    this.dispatch = {
      deliver,
      runActivity: (instanceId, executionId, taskId, name, input) =>
        this.runActivity(instanceId, executionId, taskId, name, input),
      runHttp: (instanceId, executionId, taskId, request) =>
        this.runHttp(instanceId, executionId, taskId, request),
      startChild: (parent, childId, name, input, version) =>
        this.startChild(parent, childId, name, input, version),
      armTimer: (instanceId, executionId, timerId, fireAt) =>
        this.timers.arm(instanceId, executionId, timerId, fireAt),
      cancelTimer: (instanceId, timerId) => this.timers.cancel(instanceId, timerId),
      sendEntityOperation: (from, entityId, op) => this.deps.sendEntityOperation(from, entityId, op),
      releaseEntity: (from, entityId) => this.deps.releaseEntityLock(from, entityId),
      hasEntity: (name) => this.deps.invoker.hasFunction(name, "entityTrigger"),
      defaultVersion: deps.defaultVersion,
      schemaVersion: deps.schemaVersion,
    };
  }

  hasFunction(name: string): boolean {
    return this.deps.invoker.hasFunction(name, "orchestrationTrigger");
  }

  /**
   * Creates (or replaces) an instance, Pending, and sends it its ExecutionStarted message (from the parent
   * for a sub-orchestration, else from a client); the first episode runs once that message is delivered.
   */
  create(
    name: string,
    instanceId: string,
    input: unknown,
    parent?: ParentLink,
    version: string = this.deps.defaultVersion,
  ): InstanceRecord {
    const { store, clock } = this.deps;
    const now = clock.now();
    const existing = store.getInstance(instanceId);
    if (existing) this.cancelTimers(existing);
    const record = newInstanceRecord(name, instanceId, input, parent, now, version);
    store.putInstance(record);
    const executionId = record.executionId;
    this.awaitingStart.set(instanceId, executionId);
    const route = parent ? { from: parent.instanceId, to: instanceId } : undefined;
    this.deps.messages.send(route, () => {
      // A start superseded by a newer one (the instance was replaced meanwhile) leaves the gate to it.
      if (this.awaitingStart.get(instanceId) === executionId) this.awaitingStart.delete(instanceId);
      this.schedule(instanceId);
    });
    return record;
  }

  /**
   * Sends an event to the instance: `from` (an instance or entity id) keeps its messages to the instance
   * in order; without it (a client) the message is unordered. Delivered by `deliver`.
   */
  sendEvent(
    from: string | undefined,
    instanceId: string,
    executionId: string | undefined,
    event: HistoryEvent,
    external = false,
  ): void {
    const route = from === undefined ? undefined : { from, to: instanceId };
    this.deps.messages.send(route, () => {
      this.deliver(instanceId, executionId, event, external);
    });
  }

  /**
   * A client's terminate / suspend / resume: answered from the instance's status now (the management API's
   * 404 / 410), carried out when its message is delivered (a no-op if the instance has ended by then).
   */
  control(kind: ControlKind, instanceId: string, reason: string): ControlResult {
    const record = this.deps.store.getInstance(instanceId);
    if (!record) return "notFound";
    if (TERMINAL_STATUSES.has(record.runtimeStatus)) return "notRunning";
    // DurableClient: IsOrchestrationSuspendable (Running, Pending, ContinuedAsNew) / IsOrchestrationSuspended.
    if (kind === "suspend" && record.runtimeStatus === "Suspended") return "wrongState";
    if (kind === "resume" && record.runtimeStatus !== "Suspended") return "wrongState";
    this.deps.messages.send(undefined, () => {
      if (kind === "terminate") this.terminate(instanceId, reason);
      else if (kind === "suspend") this.suspend(instanceId, reason);
      else this.resume(instanceId, reason);
    });
    return "ok";
  }

  /**
   * Queues a new event for the instance now (dropped when the instance or that execution is gone): where
   * messages sent with `sendEvent` arrive, and durable timers fire (on time, never delayed).
   */
  deliver(
    instanceId: string,
    executionId: string | undefined,
    event: HistoryEvent,
    external = false,
  ): boolean {
    const record = this.deps.store.getInstance(instanceId);
    if (!record) return false;
    if (executionId !== undefined && record.executionId !== executionId) return false;
    if (TERMINAL_STATUSES.has(record.runtimeStatus)) return false;
    const item: InboxItem = { event };
    if (allocatesOnReplay(record, event) || httpAllocatesOnReplay(record, event)) item.allocates = true;
    if (external) item.external = true;
    record.inbox.push(item);
    this.deps.store.putInstance(record);
    if (record.runtimeStatus !== "Suspended") this.schedule(instanceId);
    return true;
  }

  terminate(instanceId: string, reason: string): ControlResult {
    const record = this.deps.store.getInstance(instanceId);
    if (!record) return "notFound";
    if (TERMINAL_STATUSES.has(record.runtimeStatus)) return "notRunning";
    const now = this.deps.clock.now();
    record.inbox = [];
    record.history.push(historyEvent(EventType.ExecutionTerminated, now, { Input: reason }));
    this.finish(record, "Terminated", reason, now);
    this.notifyParent(record, {
      Reason: `Orchestration '${record.instanceId}' was terminated: ${reason}`,
      Details: "",
    });
    return "ok";
  }

  suspend(instanceId: string, reason: string): ControlResult {
    const record = this.deps.store.getInstance(instanceId);
    if (!record) return "notFound";
    if (TERMINAL_STATUSES.has(record.runtimeStatus)) return "notRunning";
    if (record.runtimeStatus === "Suspended") return "ok";
    const now = this.deps.clock.now();
    record.history.push(historyEvent(EventType.ExecutionSuspended, now, { Reason: reason }));
    record.runtimeStatus = "Suspended";
    record.lastUpdatedTime = now;
    this.deps.store.putInstance(record);
    return "ok";
  }

  resume(instanceId: string, reason: string): ControlResult {
    const record = this.deps.store.getInstance(instanceId);
    if (!record) return "notFound";
    if (TERMINAL_STATUSES.has(record.runtimeStatus)) return "notRunning";
    if (record.runtimeStatus !== "Suspended") return "ok";
    const now = this.deps.clock.now();
    record.history.push(historyEvent(EventType.ExecutionResumed, now, { Reason: reason }));
    record.runtimeStatus = record.history.some((e) => e.EventType === EventType.ExecutionStarted)
      ? "Running"
      : "Pending";
    record.lastUpdatedTime = now;
    this.deps.store.putInstance(record);
    if (record.inbox.length > 0) this.schedule(instanceId);
    return "ok";
  }

  /**
   * Rewinds a Failed instance (see ./rewind): its history is rewritten and it is Pending again at once, as
   * the Azure Storage client does it; failed children are rewound too, and the deepest failed instances get
   * a GenericEvent message carrying the reason, which makes them replay and run their failed tasks again.
   */
  rewind(instanceId: string, reason: string): void {
    const { store, clock } = this.deps;
    const record = store.getInstance(instanceId);
    if (!record || record.runtimeStatus !== "Failed") return;
    const now = clock.now();
    const plan = rewindHistory(record.history);
    const tasks = plan.tasks;
    let childrenRewound = 0;
    for (const child of plan.failedChildren) {
      if (store.getInstance(child.childId)?.runtimeStatus === "Failed") {
        this.rewind(child.childId, reason);
        childrenRewound++;
      } else {
        // Azure Storage cannot rewind a child that is gone; the devhost starts it again instead.
        tasks.push(restartChildTask(child));
      }
    }
    record.runtimeStatus = "Pending";
    record.output = undefined;
    record.failureDetails = undefined;
    record.lastUpdatedTime = now;
    if (tasks.length > 0) record.rewound = tasks;
    for (const [timerId, fireAt] of pendingTimers(record)) {
      record.openTimers[timerId] = fireAt;
      this.timers.arm(instanceId, record.executionId, timerId, fireAt);
    }
    store.putInstance(record);
    if (tasks.length > 0 || childrenRewound === 0) {
      const wake = historyEvent(EventType.GenericEvent, now, { Data: reason });
      this.sendEvent(undefined, instanceId, record.executionId, wake);
    }
  }

  purge(instanceId: string): boolean {
    const record = this.deps.store.getInstance(instanceId);
    if (!record) return false;
    this.cancelTimers(record);
    return this.deps.store.deleteInstance(instanceId);
  }

  /** Cancels every armed timer (engine shutdown). */
  stop(): void {
    this.timers.cancelAll();
  }

  private schedule(instanceId: string): void {
    if (this.queued.has(instanceId) || this.running.has(instanceId) || this.awaitingStart.has(instanceId))
      return;
    this.queued.add(instanceId);
    this.deps.scheduler.enqueue(() => this.runEpisode(instanceId));
  }

  private async runEpisode(instanceId: string): Promise<void> {
    this.queued.delete(instanceId);
    const record = this.deps.store.getInstance(instanceId);
    if (!record || record.inbox.length === 0) return;
    if (TERMINAL_STATUSES.has(record.runtimeStatus) || record.runtimeStatus === "Suspended") return;
    this.running.add(instanceId);
    try {
      await this.episode(record);
    } catch (err) {
      this.deps.log("error", `Durable engine error in orchestration '${instanceId}': ${String(err)}`);
    } finally {
      this.running.delete(instanceId);
      const current = this.deps.store.getInstance(instanceId);
      if (current && current.inbox.length > 0 && current.runtimeStatus !== "Suspended")
        this.schedule(instanceId);
    }
  }

  private async episode(record: InstanceRecord): Promise<void> {
    const { invoker } = this.deps;
    const now = this.deps.clock.now();
    const { batch, newEvents, work } = this.openEpisode(record, now);
    const trigger = orchestrationTrigger(record, newEvents, this.deps.schemaVersion);
    let result: OrchestratorResult | undefined;
    let failure: OrchestratorFailure | undefined;
    // Inline rather than in an async helper, so a missing orchestrator fails without yielding to other work.
    if (!invoker.hasFunction(record.name, "orchestrationTrigger")) failure = missingOrchestrator(record.name);
    else {
      try {
        result = orchestratorResult(await invoker.invoke(record.name, "orchestrationTrigger", trigger));
      } catch (err) {
        failure = orchestratorFailure(err);
      }
    }
    if (this.isSuperseded(record, work.executionId)) return;

    for (const e of newEvents) e.IsPlayed = true;
    record.history.push(...newEvents);
    record.lastUpdatedTime = now;
    if (failure || !result) {
      // The extension replays a failed episode's actions before failing it: a lock released on the way out
      // (`finally { lock.release() }`) is released. Other actions of that episode are not carried out.
      const [appended, effects] = [work.appended.length, work.effects.length];
      releasesOf(work, flattenActions(failure?.actions ?? []));
      record.history.push(
        ...work.appended.slice(appended),
        historyEvent(EventType.OrchestratorCompleted, now),
      );
      this.failOrchestrator(record, failure?.message, failure?.details, now);
      for (const effect of work.effects.slice(effects)) effect();
      return;
    }
    this.applyResult(work, result, batch);
  }

  /** Takes the episode's batch from the inbox and does the numbering the SDK does while replaying it. */
  private openEpisode(
    record: InstanceRecord,
    now: number,
  ): { batch: InboxItem[]; newEvents: HistoryEvent[]; work: EpisodeWork } {
    const batch = takeBatch(record.inbox);
    const newEvents: HistoryEvent[] = [historyEvent(EventType.OrchestratorStarted, now)];
    for (const item of batch) newEvents.push(item.event);
    if (record.runtimeStatus === "Pending" || record.runtimeStatus === "ContinuedAsNew")
      record.runtimeStatus = "Running";

    const work = new EpisodeWork(record, now, this.dispatch);
    // The SDK numbers a retry's timer / next attempt, or an HTTP poll's timer and call, while replaying this
    // event, before any new task.
    if (batch[0]?.allocates) {
      continueRetry(work, batch[0].event);
      continueHttpPolling(work, batch[0].event);
    }
    resumeRewoundTasks(work);
    for (const item of batch) {
      if (item.event.EventType === EventType.TimerFired)
        delete record.openTimers[item.event.TimerId as number];
      noteLockGranted(record, item.event);
      pollAfterTimer(work, item.event);
    }
    return { batch, newEvents, work };
  }

  /** Terminated, purged or restarted while the orchestrator ran: this episode's outcome no longer applies. */
  private isSuperseded(record: InstanceRecord, executionId: string): boolean {
    const current = this.deps.store.getInstance(record.instanceId);
    return (
      current !== record || record.executionId !== executionId || TERMINAL_STATUSES.has(record.runtimeStatus)
    );
  }

  /** Records the orchestrator's reply, saves the record, then starts the work it scheduled. */
  private applyResult(work: EpisodeWork, result: OrchestratorResult, batch: InboxItem[]): void {
    const { record, now } = work;
    if (result.customStatus !== undefined) record.customStatus = result.customStatus;
    const { continueAsNew, unsupported } = applyActions(work, flattenActions(result.actions));
    // TaskOrchestrationShim releases the locks the orchestrator still holds once its code has completed.
    if (result.isDone && !unsupported) releaseHeldLocks(work);
    record.history.push(...work.appended, historyEvent(EventType.OrchestratorCompleted, now));
    if (unsupported) {
      this.failOrchestrator(record, unsupported, undefined, now);
      return;
    }
    this.deps.store.putInstance(record);
    for (const effect of work.effects) effect();
    if (result.isDone) {
      if (continueAsNew) this.continueAsNew(record, continueAsNew, batch, now);
      else this.completeInstance(record, result.output, now);
    }
  }

  private runActivity(
    instanceId: string,
    executionId: string,
    taskId: number,
    name: string,
    input: unknown,
  ): void {
    // The work item and its result are messages of their own: no order among an instance's activities.
    this.deps.messages.send(undefined, () => {
      this.deps.activities.run(name, input, (outcome: ActivityOutcome) => {
        const now = this.deps.clock.now();
        const event = outcome.ok
          ? historyEvent(EventType.TaskCompleted, now, {
              TaskScheduledId: taskId,
              Result: JSON.stringify(outcome.result ?? null),
            })
          : failedEvent(EventType.TaskFailed, taskId, outcome.failure, now);
        this.sendEvent(undefined, instanceId, executionId, event);
      });
    });
  }

  /** Like runActivity, for the built-in HTTP activity (see ./durableHttp). */
  private runHttp(
    instanceId: string,
    executionId: string,
    taskId: number,
    request: DurableHttpRequest,
  ): void {
    // A work item like an activity's: it counts as work in flight until its result is sent.
    this.deps.messages.send(undefined, () => {
      this.deps.scheduler.enqueue(() =>
        sendDurableHttp(request).then((outcome) => {
          const now = this.deps.clock.now();
          const event = outcome.ok
            ? historyEvent(EventType.TaskCompleted, now, {
                TaskScheduledId: taskId,
                Result: JSON.stringify(outcome.result),
              })
            : failedEvent(EventType.TaskFailed, taskId, outcome.failure, now);
          this.sendEvent(undefined, instanceId, executionId, event);
        }),
      );
    });
  }

  private startChild(
    parent: ParentLink,
    childId: string,
    name: string,
    input: unknown,
    version: string,
  ): void {
    const existing = this.deps.store.getInstance(childId);
    let reason: string | undefined;
    if (!this.hasFunction(name)) {
      reason = missingOrchestrator(name).message;
    } else if (existing && !TERMINAL_STATUSES.has(existing.runtimeStatus)) {
      reason = `An orchestration with instance ID '${childId}' already exists and is ${existing.runtimeStatus}.`;
    }
    if (reason) {
      const now = this.deps.clock.now();
      const event = failedEvent(
        EventType.SubOrchestrationInstanceFailed,
        parent.taskScheduledId,
        { Reason: reason, Details: "" },
        now,
      );
      this.sendEvent(childId, parent.instanceId, parent.executionId, event);
      return;
    }
    this.create(name, childId, input, parent, version);
  }

  private cancelTimers(record: InstanceRecord): void {
    this.timers.cancelInstance(record.instanceId);
    record.openTimers = {};
  }

  private continueAsNew(
    record: InstanceRecord,
    action: OrchestratorAction,
    batch: InboxItem[],
    now: number,
  ): void {
    this.cancelTimers(record);
    // External events not yet handed to this execution go to the next one (the real host delivers queued
    // messages to the current execution); with preserveUnprocessedEvents, so do those of the last batch.
    const carried = record.inbox.filter((i) => i.external);
    if (action.preserveUnprocessedEvents) carried.unshift(...batch.filter((i) => i.external));
    renewForContinueAsNew(record, decodeProcessedInput(action.input), carried, now);
    this.deps.store.putInstance(record);
    this.schedule(record.instanceId);
  }

  private completeInstance(record: InstanceRecord, output: unknown, now: number): void {
    record.history.push(
      historyEvent(EventType.ExecutionCompleted, now, {
        OrchestrationStatus: "Completed",
        Result: toJsonText(output),
      }),
    );
    this.finish(record, "Completed", output, now);
    if (record.parent) {
      const event = historyEvent(EventType.SubOrchestrationInstanceCompleted, now, {
        TaskScheduledId: record.parent.taskScheduledId,
        Result: JSON.stringify(output ?? null),
      });
      this.sendEvent(record.instanceId, record.parent.instanceId, record.parent.executionId, event);
    }
  }

  private failOrchestrator(
    record: InstanceRecord,
    reason: string | undefined,
    details: unknown,
    now: number,
  ): void {
    this.failInstance(record, `Orchestrator function '${record.name}' failed: ${reason}`, details, now);
  }

  private failInstance(record: InstanceRecord, message: string, failureDetails: unknown, now: number): void {
    const fields: Record<string, unknown> = { OrchestrationStatus: "Failed", Result: message };
    if (failureDetails !== undefined) fields.FailureDetails = failureDetails;
    record.history.push(historyEvent(EventType.ExecutionCompleted, now, fields));
    record.failureDetails = failureDetails;
    this.finish(record, "Failed", message, now);
    this.notifyParent(record, {
      Reason: message,
      Details: failureDetails ? JSON.stringify(failureDetails) : "",
    });
  }

  private finish(
    record: InstanceRecord,
    status: "Completed" | "Failed" | "Terminated",
    output: unknown,
    now: number,
  ) {
    this.cancelTimers(record);
    record.runtimeStatus = status;
    record.output = output;
    record.retries = {};
    delete record.httpCalls;
    record.lastUpdatedTime = now;
    this.deps.store.putInstance(record);
  }

  private notifyParent(record: InstanceRecord, failure: TaskFailure): void {
    if (!record.parent) return;
    const event = failedEvent(
      EventType.SubOrchestrationInstanceFailed,
      record.parent.taskScheduledId,
      failure,
      this.deps.clock.now(),
    );
    this.sendEvent(record.instanceId, record.parent.instanceId, record.parent.executionId, event);
  }
}
