/**
 * Orchestration episodes: hands the history to the orchestrator function, turns the actions it returns
 * into history events plus work (activities, timers, sub-orchestrations, entity messages), and feeds the
 * results back as new events. Sequence numbers mirror what DurableTask.Core and the JS SDK assign, so the
 * SDK's replay matches every completion to its task.
 *
 * Everything an instance receives is a message (see ./messageBus): events, its start, clients' terminate /
 * suspend / resume. Its runner takes its due messages in order, one step at a time per instance: a control
 * is carried out, a message for another execution (or a finished instance) is dropped, and a batch of events
 * is an episode. An episode reads the record, calls the orchestrator (the only await), then commits in one
 * transaction: the record, the messages it consumed, and the messages its actions send.
 *
 * How actions become history and work lives in actionApplier / taskRetries / episode.
 */
import { killPoint } from "./killPoints";
import type { Clock } from "../clock";
import type { FunctionInvoker } from "../contracts";
import {
  decodeProcessedInput,
  flattenActions,
  type OrchestratorAction,
  type OrchestratorResult,
} from "./actions";
import { applyActions } from "./actionApplier";
import type { TaskFailure } from "./activityRunner";
import { noteLockGranted, releaseHeldLocks, releasesOf } from "./entityLocks";
import { batchLength, EpisodeWork, type TaskDispatch } from "./episode";
import { EventType, failedEvent, historyEvent, isoTime, toJsonText, type HistoryEvent } from "./history";
import { continueHttpPolling, httpAllocatesOnReplay, pollAfterTimer } from "./httpTasks";
import { newInstanceRecord, renewForContinueAsNew, startEvent, startMessageId } from "./instanceRecords";
import type { MessageBus } from "./messageBus";
import {
  missingOrchestrator,
  orchestrationTrigger,
  orchestratorFailure,
  orchestratorResult,
  type OrchestratorFailure,
} from "./orchestratorCall";
import { pendingTimers, restartChildTask, resumeRewoundTasks, rewindHistory } from "./rewind";
import {
  instanceTarget,
  TERMINAL_STATUSES,
  workTarget,
  type ControlKind,
  type DurableStore,
  type EntityOperation,
  type InboxItem,
  type InstanceRecord,
  type Message,
  type ParentLink,
} from "./store";
import { allocatesOnReplay, continueRetry } from "./taskRetries";
import type { WorkScheduler } from "./workScheduler";

export type { ControlKind } from "./store";

export type Log = (level: "information" | "warning" | "error", message: string) => void;

export interface OrchestrationRunnerDeps {
  store: DurableStore;
  bus: MessageBus;
  invoker: FunctionInvoker;
  clock: Clock;
  /** Runs episodes as fair work items (see ./workScheduler). */
  scheduler: WorkScheduler;
  log: Log;
  /** Highest OOProc replay schema offered to the SDK (ReplaySchema: V1=0 .. V4=3). */
  schemaVersion: number;
  /** Sends an entity operation from the orchestration instance `from` (inside the current step). */
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

/** The message id of a durable timer: arming it twice (a replayed step) stores it once. */
export function timerMessageId(instanceId: string, executionId: string, timerId: number): string {
  return `timer:${instanceId}:${executionId}:${timerId}`;
}

/** An event message's inbox item, as the episode sees it. */
function itemOf(message: Message): InboxItem {
  if (message.body.kind !== "event") throw new Error(`not an event message: ${message.body.kind}`);
  return message.body.item;
}

export class OrchestrationRunner {
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  private readonly dispatch: TaskDispatch;

  constructor(private readonly deps: OrchestrationRunnerDeps) {
    const { bus } = deps;
    // The only way the episode modules (actionApplier, taskRetries) act outside the record they are given.
    this.dispatch = {
      // The engine's own answers (a retry that gave up) are no messages on a real backend: not delayed.
      deliver: (instanceId, executionId, event) =>
        this.sendEvent(undefined, instanceId, executionId, event, false, true),
      runActivity: (instanceId, executionId, taskId, name, input) =>
        bus.send(
          workTarget(instanceId),
          { kind: "activity", executionId, taskId, name, input },
          { id: `work:${instanceId}:${executionId}:${taskId}` },
        ),
      runHttp: (instanceId, executionId, taskId, request) =>
        bus.send(
          workTarget(instanceId),
          { kind: "http", executionId, taskId, request },
          { id: `work:${instanceId}:${executionId}:${taskId}` },
        ),
      startChild: (parent, childId, name, input, version) =>
        this.startChild(parent, childId, name, input, version),
      armTimer: (instanceId, executionId, timerId, fireAt) =>
        this.armTimer(instanceId, executionId, timerId, fireAt),
      cancelTimer: (instanceId, executionId, timerId) =>
        bus.consume(timerMessageId(instanceId, executionId, timerId)),
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
    const { store, bus } = this.deps;
    return bus.step(() => {
      const existing = store.getInstance(instanceId);
      if (existing) this.dropMessages(instanceId);
      const record = newInstanceRecord(name, instanceId, input, parent, bus.now(), version);
      if (existing) record.revision = existing.revision + 1;
      store.putInstance(record);
      const options = parent
        ? { id: startMessageId(record), from: parent.instanceId }
        : { id: startMessageId(record) };
      bus.send(
        instanceTarget(instanceId),
        { kind: "event", executionId: record.executionId, item: { event: startEvent(record, bus.now()) } },
        options,
      );
      return record;
    });
  }

  /**
   * Sends an event to the instance: `from` (an instance or entity id) keeps its messages to the instance
   * in order; without it (a client) the message is unordered. `executionId`: only that execution takes it.
   */
  sendEvent(
    from: string | undefined,
    instanceId: string,
    executionId: string | undefined,
    event: HistoryEvent,
    external = false,
    immediate = false,
    id?: string,
  ): void {
    const item: InboxItem = external ? { event, external } : { event };
    const body =
      executionId === undefined
        ? { kind: "event" as const, item }
        : { kind: "event" as const, item, executionId };
    const options: { from?: string; immediate?: boolean; id?: string } = {};
    if (from !== undefined) options.from = from;
    if (immediate) options.immediate = true;
    if (id !== undefined) options.id = id;
    this.deps.bus.send(instanceTarget(instanceId), body, options);
  }

  /**
   * A client's terminate / suspend / resume: answered from the instance's status now (the management API's
   * 404 / 410 / 500), carried out when its message reaches the instance (a no-op if it has ended by then).
   */
  control(kind: ControlKind, instanceId: string, reason: string): ControlResult {
    const record = this.deps.store.getInstance(instanceId);
    if (!record) return "notFound";
    if (TERMINAL_STATUSES.has(record.runtimeStatus)) return "notRunning";
    // DurableClient: IsOrchestrationSuspendable (Running, Pending, ContinuedAsNew) / IsOrchestrationSuspended.
    if (kind === "suspend" && record.runtimeStatus === "Suspended") return "wrongState";
    if (kind === "resume" && record.runtimeStatus !== "Suspended") return "wrongState";
    this.deps.bus.send(instanceTarget(instanceId), { kind: "control", control: kind, reason });
    return "ok";
  }

  /**
   * Rewinds a Failed instance (see ./rewind): its history is rewritten and it is Pending again at once, as
   * the Azure Storage client does it; failed children are rewound too, and the deepest failed instances get
   * a GenericEvent message carrying the reason, which makes them replay and run their failed tasks again.
   */
  rewind(instanceId: string, reason: string): void {
    const { store, bus } = this.deps;
    bus.step(() => {
      const record = store.getInstance(instanceId);
      if (!record || record.runtimeStatus !== "Failed") return;
      const now = bus.now();
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
        this.armTimer(instanceId, record.executionId, timerId, fireAt);
      }
      this.save(record);
      if (tasks.length > 0 || childrenRewound === 0) {
        const wake = historyEvent(EventType.GenericEvent, now, { Data: reason });
        this.sendEvent(undefined, instanceId, record.executionId, wake);
      }
    });
  }

  /** Deletes the instance and every message for it (its events, timers and work items). */
  purge(instanceId: string): boolean {
    return this.deps.bus.step(() => {
      if (!this.deps.store.getInstance(instanceId)) return false;
      this.dropMessages(instanceId);
      return this.deps.store.deleteInstance(instanceId);
    });
  }

  /** Called when the instance has due messages. */
  schedule(instanceId: string): void {
    if (this.queued.has(instanceId) || this.running.has(instanceId)) return;
    this.queued.add(instanceId);
    this.deps.scheduler.enqueue(() => this.run(instanceId));
  }

  private async run(instanceId: string): Promise<void> {
    this.queued.delete(instanceId);
    this.running.add(instanceId);
    let again = false;
    try {
      again = await this.next(instanceId);
    } catch (err) {
      this.deps.log("error", `Durable engine error in orchestration '${instanceId}': ${String(err)}`);
    } finally {
      this.running.delete(instanceId);
    }
    if (again) this.schedule(instanceId);
  }

  /** Handles what is due for the instance: one control, dropped messages, or one episode. True: look again. */
  private async next(instanceId: string): Promise<boolean> {
    const { store, bus } = this.deps;
    const due = bus.due(instanceTarget(instanceId));
    if (due.length === 0) return false;
    const record = store.getInstance(instanceId);
    if (!record) {
      bus.step(() => due.forEach((m) => bus.consume(m.id)));
      return false;
    }
    // Messages that no longer apply: for another execution, or for an instance that has ended.
    const stale = due.filter(
      (m) =>
        (m.body.kind === "event" || m.body.kind === "control") &&
        (TERMINAL_STATUSES.has(record.runtimeStatus) ||
          (m.body.kind === "event" &&
            m.body.executionId !== undefined &&
            m.body.executionId !== record.executionId)),
    );
    if (stale.length > 0) {
      bus.step(() => stale.forEach((m) => bus.consume(m.id)));
      return true;
    }
    const started = record.history.length > 0;
    const firstControl = due.find((m) => m.body.kind === "control");
    // The events before the first control: an episode never takes an event queued behind a control.
    const lead: Message[] = [];
    for (const m of due) {
      if (m.body.kind === "control") break;
      lead.push(m);
    }
    // Before its start message arrives (late, with latency), an instance takes nothing but controls; the
    // start event opens the first episode, whatever overtook it.
    const start = started
      ? undefined
      : due.find((m) => m.body.kind === "event" && itemOf(m).event.EventType === EventType.ExecutionStarted);
    const runnable = record.runtimeStatus !== "Suspended" && (started || start !== undefined);
    if (runnable && (lead.length > 0 || start)) {
      const events = start ? [start, ...lead.filter((m) => m !== start)] : lead;
      await this.episode(record, events);
      return true;
    }
    if (firstControl) {
      bus.step(() => this.applyControl(record, firstControl));
      return true;
    }
    return false;
  }

  private applyControl(record: InstanceRecord, message: Message): void {
    const { bus } = this.deps;
    bus.consume(message.id);
    if (message.body.kind !== "control") return;
    const { control, reason } = message.body;
    const now = bus.now();
    if (control === "terminate") {
      record.history.push(historyEvent(EventType.ExecutionTerminated, now, { Input: reason }));
      this.finish(record, "Terminated", reason, now);
      this.notifyParent(record, {
        Reason: `Orchestration '${record.instanceId}' was terminated: ${reason}`,
        Details: "",
      });
    } else if (control === "suspend" && record.runtimeStatus !== "Suspended") {
      record.history.push(historyEvent(EventType.ExecutionSuspended, now, { Reason: reason }));
      record.runtimeStatus = "Suspended";
      record.lastUpdatedTime = now;
      this.save(record);
    } else if (control === "resume" && record.runtimeStatus === "Suspended") {
      record.history.push(historyEvent(EventType.ExecutionResumed, now, { Reason: reason }));
      record.runtimeStatus = record.history.some((e) => e.EventType === EventType.ExecutionStarted)
        ? "Running"
        : "Pending";
      record.lastUpdatedTime = now;
      this.save(record);
    }
  }

  private async episode(record: InstanceRecord, messages: Message[]): Promise<void> {
    const { invoker, bus } = this.deps;
    const now = bus.now();
    const revision = record.revision;
    const { batch, consumed, newEvents, work } = this.openEpisode(record, messages, now);
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
    bus.step(
      () => {
        // Purged or replaced while the orchestrator ran: this episode's outcome no longer applies.
        const current = this.deps.store.getInstance(record.instanceId);
        if (!current || current.revision !== revision || current.executionId !== work.executionId) return;
        for (const id of consumed) bus.consume(id);
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
      },
      () => killPoint("episode-committed", () => `${record.instanceId} ${record.name}`),
    );
  }

  /**
   * Takes the episode's batch from the due event messages and does the numbering the SDK does while
   * replaying it. Returns the ids of the messages it consumes.
   */
  private openEpisode(
    record: InstanceRecord,
    messages: Message[],
    now: number,
  ): { batch: InboxItem[]; consumed: string[]; newEvents: HistoryEvent[]; work: EpisodeWork } {
    const inbox = messages.map((m) => {
      const item = { ...itemOf(m) };
      if (allocatesOnReplay(record, item.event) || httpAllocatesOnReplay(record, item.event))
        item.allocates = true;
      return item;
    });
    const n = batchLength(inbox);
    const batch = inbox.slice(0, n);
    const consumed = messages.slice(0, n).map((m) => m.id);
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
    return { batch, consumed, newEvents, work };
  }

  /** Records the orchestrator's reply, saves the record, and sends the work it scheduled (in the step). */
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
    this.save(record);
    for (const effect of work.effects) effect();
    if (result.isDone) {
      if (continueAsNew) this.continueAsNew(record, continueAsNew, batch, now);
      else this.completeInstance(record, result.output, now);
    }
  }

  private armTimer(instanceId: string, executionId: string, timerId: number, fireAt: number): void {
    const event = historyEvent(EventType.TimerFired, fireAt, { TimerId: timerId, FireAt: isoTime(fireAt) });
    this.deps.bus.send(
      instanceTarget(instanceId),
      { kind: "event", executionId, item: { event } },
      { id: timerMessageId(instanceId, executionId, timerId), timerAt: fireAt },
    );
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
      const event = failedEvent(
        EventType.SubOrchestrationInstanceFailed,
        parent.taskScheduledId,
        { Reason: reason, Details: "" },
        this.deps.bus.now(),
      );
      this.sendEvent(childId, parent.instanceId, parent.executionId, event);
      return;
    }
    this.create(name, childId, input, parent, version);
  }

  /** Drops every message for the instance (its events, controls, timers) and for its work items. */
  private dropMessages(instanceId: string): void {
    const { store, bus } = this.deps;
    for (const m of store.messagesFor(instanceTarget(instanceId))) bus.consume(m.id);
    for (const m of store.messagesFor(workTarget(instanceId))) bus.consume(m.id);
  }

  /** Drops the timer messages of the record's execution that have not fired. */
  private cancelTimers(record: InstanceRecord): void {
    for (const key of Object.keys(record.openTimers)) {
      this.deps.bus.consume(timerMessageId(record.instanceId, record.executionId, Number(key)));
    }
    record.openTimers = {};
  }

  private continueAsNew(
    record: InstanceRecord,
    action: OrchestratorAction,
    batch: InboxItem[],
    now: number,
  ): void {
    this.cancelTimers(record);
    renewForContinueAsNew(record, decodeProcessedInput(action.input), now);
    this.save(record);
    this.sendEvent(
      undefined,
      record.instanceId,
      record.executionId,
      startEvent(record, now),
      false,
      true,
      startMessageId(record),
    );
    // External events not yet handed to the old execution stay queued for the new one (they name no
    // execution); with preserveUnprocessedEvents, so do those of the last batch, handed over unplayed.
    if (action.preserveUnprocessedEvents) {
      for (const item of batch.filter((i) => i.external)) {
        this.sendEvent(
          undefined,
          record.instanceId,
          undefined,
          { ...item.event, IsPlayed: false },
          true,
          true,
        );
      }
    }
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
    this.save(record);
  }

  private notifyParent(record: InstanceRecord, failure: TaskFailure): void {
    if (!record.parent) return;
    const event = failedEvent(
      EventType.SubOrchestrationInstanceFailed,
      record.parent.taskScheduledId,
      failure,
      this.deps.bus.now(),
    );
    this.sendEvent(record.instanceId, record.parent.instanceId, record.parent.executionId, event);
  }

  /** Writes the record (inside the current step), one revision later. */
  private save(record: InstanceRecord): void {
    record.revision++;
    this.deps.store.putInstance(record);
  }
}
