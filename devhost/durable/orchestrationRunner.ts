/**
 * Orchestration episodes: hands the history to the orchestrator function, turns the actions it returns
 * into history events plus work (activities, timers, sub-orchestrations, entity messages), and feeds the
 * results back as new events. Sequence numbers mirror what DurableTask.Core and the JS SDK assign, so the
 * SDK's replay matches every completion to its task.
 */
import { randomUUID } from "node:crypto";
import type { Clock } from "../clock";
import type { FunctionInvoker } from "../contracts";
import {
  ActionType,
  decodeProcessedInput,
  flattenActions,
  orchestratorStateFromError,
  type OrchestratorAction,
  type OrchestratorResult,
} from "./actions";
import type { ActivityOutcome, ActivityRunner, TaskFailure } from "./activityRunner";
import { EventType, historyEvent, isoTime, toJsonText, type HistoryEvent } from "./history";
import { nextRetryDelay, retryPolicyFrom } from "./retry";
import {
  TERMINAL_STATUSES,
  type DurableStore,
  type EntityOperation,
  type InboxItem,
  type InstanceRecord,
  type ParentLink,
  type RetryState,
} from "./store";
import type { WorkTracker } from "./workTracker";

export type Log = (level: "information" | "warning" | "error", message: string) => void;

export interface OrchestrationRunnerDeps {
  store: DurableStore;
  invoker: FunctionInvoker;
  clock: Clock;
  work: WorkTracker;
  activities: ActivityRunner;
  log: Log;
  /** Highest OOProc replay schema offered to the SDK (ReplaySchema: V1=0 .. V4=3). */
  schemaVersion: number;
  sendEntityOperation(entityId: string, op: EntityOperation): void;
}

/** Sent as the orchestration trigger's timer settings: timers are never split into long-timer chunks. */
const MAXIMUM_SHORT_TIMER_DURATION = "36500.00:00:00";
const LONG_RUNNING_TIMER_INTERVAL = "3.00:00:00";
const HTTP_ASYNC_SLEEP_MS = 30000;

export type ControlResult = "ok" | "notFound" | "notRunning";

export class OrchestrationRunner {
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  /** Armed durable timers per instance: sequence number -> cancel. */
  private readonly timers = new Map<string, Map<number, () => void>>();

  constructor(private readonly deps: OrchestrationRunnerDeps) {}

  hasFunction(name: string): boolean {
    return this.deps.invoker.hasFunction(name, "orchestrationTrigger");
  }

  /** Creates (or replaces) an instance and queues its first episode. */
  create(name: string, instanceId: string, input: unknown, parent?: ParentLink): InstanceRecord {
    const { store, clock } = this.deps;
    const now = clock.now();
    const existing = store.getInstance(instanceId);
    if (existing) this.cancelTimers(existing);
    const executionId = randomUUID().replace(/-/g, "");
    const record: InstanceRecord = {
      instanceId,
      name,
      executionId,
      runtimeStatus: "Pending",
      input,
      output: undefined,
      customStatus: undefined,
      createdTime: now,
      lastUpdatedTime: now,
      history: [],
      inbox: [{ event: executionStarted(name, instanceId, executionId, input, parent, now) }],
      parent,
      nextSequence: 0,
      consumedActions: 0,
      timerActions: {},
      openTimers: {},
      retries: {},
    };
    store.putInstance(record);
    this.schedule(instanceId);
    return record;
  }

  /** Queues a new event for the instance (dropped when the instance or that execution is gone). */
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
    if (this.allocatesOnReplay(record, event)) item.allocates = true;
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

  purge(instanceId: string): boolean {
    const record = this.deps.store.getInstance(instanceId);
    if (!record) return false;
    this.cancelTimers(record);
    return this.deps.store.deleteInstance(instanceId);
  }

  /** Cancels every armed timer (engine shutdown). */
  stop(): void {
    for (const perInstance of this.timers.values()) for (const cancel of perInstance.values()) cancel();
    this.timers.clear();
  }

  private schedule(instanceId: string): void {
    if (this.queued.has(instanceId) || this.running.has(instanceId)) return;
    this.queued.add(instanceId);
    this.deps.work.begin();
    queueMicrotask(() => {
      this.runEpisode(instanceId).finally(() => this.deps.work.end());
    });
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
    const { store, clock, invoker } = this.deps;
    const now = clock.now();
    const batch = takeBatch(record.inbox);
    const newEvents: HistoryEvent[] = [historyEvent(EventType.OrchestratorStarted, now)];
    for (const item of batch) newEvents.push(item.event);
    if (record.runtimeStatus === "Pending" || record.runtimeStatus === "ContinuedAsNew")
      record.runtimeStatus = "Running";

    const appended: HistoryEvent[] = [];
    const effects: (() => void)[] = [];
    // The SDK numbers a retry's timer / next attempt while replaying this event, before any new task.
    if (batch[0]?.allocates) this.continueRetry(record, batch[0].event, now, appended, effects);
    for (const item of batch) {
      if (item.event.EventType === EventType.TimerFired)
        delete record.openTimers[item.event.TimerId as number];
    }

    const trigger = {
      history: record.history.concat(newEvents),
      input: record.input,
      instanceId: record.instanceId,
      isReplaying: record.history.length > 0,
      parentInstanceId: record.parent?.instanceId,
      upperSchemaVersion: Math.min(this.deps.schemaVersion, 2),
      upperSchemaVersionNew: this.deps.schemaVersion >= 3 ? this.deps.schemaVersion : undefined,
      longRunningTimerIntervalDuration: LONG_RUNNING_TIMER_INTERVAL,
      maximumShortTimerDuration: MAXIMUM_SHORT_TIMER_DURATION,
      defaultHttpAsyncRequestSleepTimeMillseconds: HTTP_ASYNC_SLEEP_MS,
    };
    const executionId = record.executionId;
    let result: OrchestratorResult | undefined;
    let failure: { message: string; details?: unknown } | undefined;
    if (!invoker.hasFunction(record.name, "orchestrationTrigger")) {
      failure = {
        message: `The function '${record.name}' doesn't exist, is disabled, or is not an orchestrator function.`,
      };
    } else {
      try {
        result = (await invoker.invoke(record.name, "orchestrationTrigger", trigger)) as OrchestratorResult;
        if (!result || typeof result !== "object")
          throw new Error("the orchestrator returned no OrchestratorState");
      } catch (err) {
        const state = orchestratorStateFromError(err);
        failure = {
          message: state?.error ?? (err instanceof Error ? err.message : String(err)),
          details: state?.failureDetails,
        };
      }
    }

    // Terminated, purged or restarted while the orchestrator ran: this episode's outcome no longer applies.
    const current = store.getInstance(record.instanceId);
    if (
      current !== record ||
      record.executionId !== executionId ||
      TERMINAL_STATUSES.has(record.runtimeStatus)
    )
      return;

    for (const e of newEvents) e.IsPlayed = true;
    record.history.push(...newEvents);
    record.lastUpdatedTime = now;
    if (failure || !result) {
      record.history.push(historyEvent(EventType.OrchestratorCompleted, now));
      this.failInstance(
        record,
        `Orchestrator function '${record.name}' failed: ${failure?.message}`,
        failure?.details,
        now,
      );
      return;
    }
    if (result.customStatus !== undefined) record.customStatus = result.customStatus;

    const actions = flattenActions(result.actions);
    this.applyTimerCancellations(record, actions);
    let continueAsNew: OrchestratorAction | undefined;
    let unsupported: string | undefined;
    for (let i = record.consumedActions; i < actions.length && !unsupported; i++) {
      const action = actions[i];
      if (action.actionType === ActionType.ContinueAsNew) continueAsNew = action;
      else unsupported = this.scheduleAction(record, action, i, now, appended, effects);
    }
    record.consumedActions = actions.length;
    record.history.push(...appended, historyEvent(EventType.OrchestratorCompleted, now));

    if (unsupported) {
      this.failInstance(
        record,
        `Orchestrator function '${record.name}' failed: ${unsupported}`,
        undefined,
        now,
      );
      return;
    }
    store.putInstance(record);
    for (const effect of effects) effect();
    if (result.isDone) {
      if (continueAsNew) this.continueAsNew(record, continueAsNew, batch, now);
      else this.completeInstance(record, result.output, now);
    }
  }

  /** Appends the scheduling event for one new action and queues its work; returns an error for unsupported ones. */
  private scheduleAction(
    record: InstanceRecord,
    action: OrchestratorAction,
    index: number,
    now: number,
    appended: HistoryEvent[],
    effects: (() => void)[],
  ): string | undefined {
    const instanceId = record.instanceId;
    const executionId = record.executionId;
    switch (action.actionType) {
      case ActionType.CallActivity:
      case ActionType.CallActivityWithRetry: {
        const id = record.nextSequence++;
        const name = String(action.functionName);
        const input = decodeProcessedInput(action.input);
        appended.push(
          historyEvent(EventType.TaskScheduled, now, { Name: name, Input: toJsonText(input) }, id),
        );
        if (action.actionType === ActionType.CallActivityWithRetry) {
          record.retries[id] = newRetry("activity", name, input, undefined, action.retryOptions, now);
        }
        effects.push(() => this.runActivity(instanceId, executionId, id, name, input));
        return undefined;
      }
      case ActionType.CallSubOrchestrator:
      case ActionType.CallSubOrchestratorWithRetry: {
        const id = record.nextSequence++;
        const name = String(action.functionName);
        const explicitId = action.instanceId || undefined;
        const childId = explicitId ?? childInstanceId(instanceId, id);
        appended.push(
          historyEvent(
            EventType.SubOrchestrationInstanceCreated,
            now,
            { Name: name, InstanceId: childId, Input: toJsonText(action.input) },
            id,
          ),
        );
        if (action.actionType === ActionType.CallSubOrchestratorWithRetry) {
          record.retries[id] = newRetry(
            "subOrchestration",
            name,
            action.input,
            explicitId,
            action.retryOptions,
            now,
          );
        }
        const input = action.input;
        effects.push(() =>
          this.startChild({ instanceId, executionId, taskScheduledId: id }, childId, name, input),
        );
        return undefined;
      }
      case ActionType.CreateTimer: {
        const id = record.nextSequence++;
        const fireAt = Date.parse(String(action.fireAt));
        appended.push(historyEvent(EventType.TimerCreated, now, { FireAt: isoTime(fireAt) }, id));
        if (!action.isCanceled) {
          record.timerActions[index] = id;
          record.openTimers[id] = fireAt;
          effects.push(() => this.armTimer(instanceId, executionId, id, fireAt));
        }
        return undefined;
      }
      case ActionType.WaitForExternalEvent:
        // No sequence number: the SDK matches EventRaised events by name, buffering early ones.
        return undefined;
      case ActionType.CallEntity:
      case ActionType.SignalEntity: {
        const id = record.nextSequence++;
        const isSignal = action.actionType === ActionType.SignalEntity;
        const entityId = String(action.instanceId);
        const requestId = randomUUID();
        const op: EntityOperation = {
          requestId,
          operation: String(action.operation),
          input: toJsonText(action.input),
          isSignal,
          enqueuedAt: now,
        };
        if (!isSignal) {
          op.parentInstanceId = instanceId;
          op.parentExecutionId = executionId;
        }
        // The SDK re-keys a callEntity task from this EventId to the request id found in Input.
        const message = {
          id: requestId,
          op: op.operation,
          signal: isSignal,
          input: op.input,
          parent: op.parentInstanceId,
        };
        appended.push(
          historyEvent(
            EventType.EventSent,
            now,
            { InstanceId: entityId, Name: "op", Input: JSON.stringify(message) },
            id,
          ),
        );
        effects.push(() => this.deps.sendEntityOperation(entityId, op));
        return undefined;
      }
      case ActionType.CallHttp:
        return "context.df.callHttp (durable HTTP) is not supported by the devhost Durable engine";
      case ActionType.ScheduledSignalEntity:
        return "scheduled entity signals are not supported by the devhost Durable engine";
      case ActionType.LockEntities:
      case ActionType.ReleaseEntities:
        return "entity locks (context.df.lock / critical sections) are not supported by the devhost Durable engine";
      default:
        return `unknown orchestrator action type ${String(action.actionType)} is not supported by the devhost Durable engine`;
    }
  }

  /** Timers the orchestrator cancelled after scheduling them (e.g. the losing timer of a Task.any). */
  private applyTimerCancellations(record: InstanceRecord, actions: OrchestratorAction[]): void {
    for (const key of Object.keys(record.timerActions)) {
      const index = Number(key);
      if (index >= record.consumedActions || !actions[index]?.isCanceled) continue;
      const id = record.timerActions[index];
      delete record.timerActions[index];
      delete record.openTimers[id];
      const cancel = this.timers.get(record.instanceId)?.get(id);
      cancel?.();
      this.timers.get(record.instanceId)?.delete(id);
    }
  }

  /** Handles the event that opens this episode for a retried task: retry timer after a failure, next attempt after the timer. */
  private continueRetry(
    record: InstanceRecord,
    event: HistoryEvent,
    now: number,
    appended: HistoryEvent[],
    effects: (() => void)[],
  ): void {
    const instanceId = record.instanceId;
    const executionId = record.executionId;
    if (
      event.EventType === EventType.TaskFailed ||
      event.EventType === EventType.SubOrchestrationInstanceFailed
    ) {
      const failedId = event.TaskScheduledId as number;
      const retry = record.retries[failedId];
      if (!retry) return;
      delete record.retries[failedId];
      const failedAttempt = retry.attempt;
      retry.attempt++;
      retry.lastFailure = { Reason: String(event.Reason ?? ""), Details: String(event.Details ?? "") };
      if (event.FailureDetails !== undefined) retry.lastFailure.FailureDetails = event.FailureDetails;
      let delay = nextRetryDelay(retry.policy, failedAttempt, retry.firstAttemptAt, now);
      if (delay === undefined) {
        retry.giveUp = true;
        delay = 0;
      }
      // DurableTask's retry loop waits on a timer after every failure, the last one included; the SDK expects it.
      const timerId = record.nextSequence++;
      const fireAt = now + delay;
      retry.phase = "timer";
      record.retries[timerId] = retry;
      record.openTimers[timerId] = fireAt;
      appended.push(historyEvent(EventType.TimerCreated, now, { FireAt: isoTime(fireAt) }, timerId));
      effects.push(() => this.armTimer(instanceId, executionId, timerId, fireAt));
    } else if (event.EventType === EventType.TimerFired) {
      const timerId = event.TimerId as number;
      const retry = record.retries[timerId];
      if (!retry) return;
      delete record.retries[timerId];
      const attemptId = record.nextSequence++;
      retry.phase = "attempt";
      record.retries[attemptId] = retry;
      const lastFailure = retry.lastFailure;
      if (retry.kind === "activity") {
        appended.push(
          historyEvent(
            EventType.TaskScheduled,
            now,
            { Name: retry.name, Input: toJsonText(retry.input) },
            attemptId,
          ),
        );
        effects.push(() => {
          if (retry.giveUp && lastFailure) {
            this.deliver(
              instanceId,
              executionId,
              failedEvent(EventType.TaskFailed, attemptId, lastFailure, now),
            );
          } else {
            this.runActivity(instanceId, executionId, attemptId, retry.name, retry.input);
          }
        });
      } else {
        const childId = retry.instanceId ?? childInstanceId(instanceId, attemptId);
        appended.push(
          historyEvent(
            EventType.SubOrchestrationInstanceCreated,
            now,
            { Name: retry.name, InstanceId: childId, Input: toJsonText(retry.input) },
            attemptId,
          ),
        );
        effects.push(() => {
          if (retry.giveUp && lastFailure) {
            this.deliver(
              instanceId,
              executionId,
              failedEvent(EventType.SubOrchestrationInstanceFailed, attemptId, lastFailure, now),
            );
          } else {
            this.startChild(
              { instanceId, executionId, taskScheduledId: attemptId },
              childId,
              retry.name,
              retry.input,
            );
          }
        });
      }
    }
  }

  /** True when the SDK will assign a sequence number while replaying `event` (see InboxItem.allocates). */
  private allocatesOnReplay(record: InstanceRecord, event: HistoryEvent): boolean {
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

  private runActivity(
    instanceId: string,
    executionId: string,
    taskId: number,
    name: string,
    input: unknown,
  ): void {
    this.deps.activities.run(name, input, (outcome: ActivityOutcome) => {
      const now = this.deps.clock.now();
      const event = outcome.ok
        ? historyEvent(EventType.TaskCompleted, now, {
            TaskScheduledId: taskId,
            Result: JSON.stringify(outcome.result ?? null),
          })
        : failedEvent(EventType.TaskFailed, taskId, outcome.failure, now);
      this.deliver(instanceId, executionId, event);
    });
  }

  private startChild(parent: ParentLink, childId: string, name: string, input: unknown): void {
    const existing = this.deps.store.getInstance(childId);
    let reason: string | undefined;
    if (!this.hasFunction(name)) {
      reason = `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`;
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
      this.deliver(parent.instanceId, parent.executionId, event);
      return;
    }
    this.create(name, childId, input, parent);
  }

  private armTimer(instanceId: string, executionId: string, timerId: number, fireAt: number): void {
    if (fireAt <= this.deps.clock.now()) {
      // Already due: fire now rather than on a real-time tick, so whenIdle() covers it.
      const event = historyEvent(EventType.TimerFired, this.deps.clock.now(), {
        TimerId: timerId,
        FireAt: isoTime(fireAt),
      });
      this.deliver(instanceId, executionId, event);
      return;
    }
    let perInstance = this.timers.get(instanceId);
    if (!perInstance) this.timers.set(instanceId, (perInstance = new Map()));
    const cancel = this.deps.clock.schedule(fireAt, () => {
      this.timers.get(instanceId)?.delete(timerId);
      const event = historyEvent(EventType.TimerFired, this.deps.clock.now(), {
        TimerId: timerId,
        FireAt: isoTime(fireAt),
      });
      this.deliver(instanceId, executionId, event);
    });
    perInstance.set(timerId, cancel);
  }

  private cancelTimers(record: InstanceRecord): void {
    const perInstance = this.timers.get(record.instanceId);
    if (perInstance) for (const cancel of perInstance.values()) cancel();
    this.timers.delete(record.instanceId);
    record.openTimers = {};
  }

  private continueAsNew(
    record: InstanceRecord,
    action: OrchestratorAction,
    batch: InboxItem[],
    now: number,
  ): void {
    this.cancelTimers(record);
    // External events not yet handed to this generation go to the next one (the real host delivers queued
    // messages to the current execution); with preserveUnprocessedEvents, so do those of the last batch.
    const carried = record.inbox.filter((i) => i.external);
    if (action.preserveUnprocessedEvents) carried.unshift(...batch.filter((i) => i.external));
    const input = decodeProcessedInput(action.input);
    const executionId = randomUUID().replace(/-/g, "");
    record.executionId = executionId;
    record.input = input;
    record.output = undefined;
    record.history = [];
    record.inbox = [
      { event: executionStarted(record.name, record.instanceId, executionId, input, record.parent, now) },
      ...carried.map((i) => ({ event: { ...i.event, IsPlayed: false }, external: true })),
    ];
    record.nextSequence = 0;
    record.consumedActions = 0;
    record.timerActions = {};
    record.retries = {};
    record.runtimeStatus = "ContinuedAsNew";
    record.lastUpdatedTime = now;
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
      this.deliver(record.parent.instanceId, record.parent.executionId, event);
    }
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
    this.deliver(record.parent.instanceId, record.parent.executionId, event);
  }
}

/**
 * Events of one episode: the first event plus following ones up to (not including) the next event the SDK
 * numbers something for, so such an event always opens an episode and its numbers precede new tasks'.
 */
function takeBatch(inbox: InboxItem[]): InboxItem[] {
  let n = 1;
  let external = inbox[0].external === true;
  while (n < inbox.length && !inbox[n].allocates) {
    // One raised event per episode: a continueAsNew then leaves the later ones queued for the next generation.
    if (inbox[n].external) {
      if (external) break;
      external = true;
    }
    n++;
  }
  return inbox.splice(0, n);
}

function executionStarted(
  name: string,
  instanceId: string,
  executionId: string,
  input: unknown,
  parent: ParentLink | undefined,
  now: number,
): HistoryEvent {
  return historyEvent(EventType.ExecutionStarted, now, {
    Name: name,
    Version: "",
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

function failedEvent(
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

function newRetry(
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

/** Instance id of a sub-orchestration started without one: deterministic from the parent and the task. */
function childInstanceId(parentId: string, taskId: number): string {
  return `${parentId}:${taskId.toString(16).padStart(4, "0")}`;
}
