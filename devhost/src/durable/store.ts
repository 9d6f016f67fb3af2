/**
 * What the Durable engine persists, and the store interface it talks to. Records and messages are plain JSON
 * data. The engine never relies on getting back the object it put (a persistent store copies them): every
 * step reads what it needs, and writes what it changed in one `transaction`, together with the messages it
 * consumed and the messages it sends (see ./messageBus).
 */
import type { DurableHttpRequest } from "./durableHttp";
import type { HistoryEvent } from "./history";

export type RuntimeStatus =
  "Pending" | "Running" | "Completed" | "Failed" | "Terminated" | "Suspended" | "ContinuedAsNew";

export const TERMINAL_STATUSES: ReadonlySet<RuntimeStatus> = new Set(["Completed", "Failed", "Terminated"]);

/** A new event waiting to be handed to the orchestrator in its next episode (an event message's body). */
export interface InboxItem {
  event: HistoryEvent;
  /**
   * True when the SDK assigns a sequence number while replaying this event (a retried task's failure or
   * its retry timer). Such an event must open an episode so the engine can mirror the numbering. Worked out
   * when the episode takes its batch.
   */
  allocates?: boolean;
  /** Raised through the management API / raiseEvent (carried into the next execution on continueAsNew). */
  external?: boolean;
}

export interface RetryPolicy {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient: number;
  maxRetryIntervalInMilliseconds: number;
  retryTimeoutInMilliseconds: number;
}

/** Engine-side mirror of one CallActivityWithRetry / CallSubOrchestratorWithRetry task. */
export interface RetryState {
  kind: "activity" | "subOrchestration";
  name: string;
  /** Activity or sub-orchestration input, parsed. */
  input: unknown;
  /** Sub-orchestration instance id chosen by the caller, if any. */
  instanceId?: string;
  /** Sub-orchestration version (the caller's, else the default version). */
  version?: string;
  policy: RetryPolicy;
  /** The SDK's attemptNumber: 1 for the first attempt, incremented on each failure. */
  attempt: number;
  firstAttemptAt: number;
  /** Waiting for the attempt with this sequence number, or for the retry timer with it. */
  phase: "attempt" | "timer";
  lastFailure?: { Reason: string; Details: string; FailureDetails?: unknown };
  /** Retry timeout passed: remaining attempts fail without running (the SDK only stops on attempt count). */
  giveUp?: boolean;
}

/**
 * A durable HTTP task (see ./httpTasks): a request in flight (`polls`: a 202 answer will be polled), or the
 * timer before a poll (`pollId`: the sequence number the SDK gave the poll).
 */
export type HttpCallState =
  { request: DurableHttpRequest; polls: boolean } | { request: DurableHttpRequest; pollId: number };

/** A task a rewound orchestration runs again, under its old sequence number (see ./rewind). */
export type RewoundTask =
  | { kind: "activity"; id: number; name: string; input: unknown }
  | { kind: "subOrchestration"; id: number; name: string; childId: string; input: unknown; version: string };

export interface HeldLock {
  /** The lock request id the SDK made up; the entities' answer is an EventRaised with this name. */
  requestId: string;
  /** Scheduler ids of the locked entities, in the (sorted) order they are acquired. */
  entities: string[];
  granted: boolean;
}

export interface ParentLink {
  instanceId: string;
  executionId: string;
  taskScheduledId: number;
}

export interface InstanceRecord {
  instanceId: string;
  name: string;
  /** The orchestration version, fixed at creation (ExecutionStarted.Version, `context.df.version`). */
  version?: string;
  /** Changes on every start and continueAsNew; results addressed to an older execution are dropped. */
  executionId: string;
  runtimeStatus: RuntimeStatus;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  createdTime: number;
  lastUpdatedTime: number;
  /** +1 on every write: a step that read revision r commits only if the record is still at r. */
  revision: number;
  history: HistoryEvent[];
  parent?: ParentLink;
  /** Next sequence number the SDK will assign (DurableTask's EventId counter). */
  nextSequence: number;
  /** Number of (flattened) SDK actions already turned into history. */
  consumedActions: number;
  /** Flattened action index -> timer sequence number, to honour `isCanceled` on later episodes. */
  timerActions: Record<number, number>;
  /** Durable timers not yet fired: sequence number -> due time (ms). */
  openTimers: Record<number, number>;
  /** Retried tasks keyed by the sequence number they currently wait on. */
  retries: Record<number, RetryState>;
  /** Durable HTTP tasks keyed by the sequence number they currently wait on. */
  httpCalls?: Record<number, HttpCallState>;
  /** Set by a rewind: tasks the next episode schedules again. */
  rewound?: RewoundTask[];
  /** The critical section this execution asked for (context.df.lock), granted once the last entity answers. */
  lock?: HeldLock;
  failureDetails?: unknown;
}

export interface EntityOperation {
  requestId: string;
  operation: string;
  /** JSON text of the operation input, or undefined. */
  input?: string;
  isSignal: boolean;
  /** The orchestration that sent it (RequestMessage.ParentInstanceId); only calls are answered. */
  parentInstanceId?: string;
  /** The execution waiting for the answer (calls and lock requests only). */
  parentExecutionId?: string;
  /** A lock request (RequestMessage.LockSet / Position): no operation runs, the entity gets locked. */
  lock?: { lockSet: string[]; position: number };
  enqueuedAt: number;
}

export interface EntityRecord {
  /** Scheduler id: `@${name lowercased}@${key}`. */
  entityId: string;
  name: string;
  key: string;
  exists: boolean;
  /** JSON text of the state. */
  state?: string;
  lastOperationTime?: number;
  /** +1 on every write (see InstanceRecord.revision). */
  revision: number;
  /** The orchestration holding this entity's lock: only its operations run until it releases it. */
  lockedBy?: string;
}

/**
 * Who a message is for: an orchestration instance (`i:<instanceId>`), an entity (`e:<schedulerId>`), or the
 * work items of an instance (`w:<instanceId>`: activity and durable HTTP executions, which run in any order).
 */
export type MessageTarget = string;

export const instanceTarget = (instanceId: string): MessageTarget => `i:${instanceId}`;
export const entityTarget = (entityId: string): MessageTarget => `e:${entityId}`;
export const workTarget = (instanceId: string): MessageTarget => `w:${instanceId}`;

/** A client's terminate / suspend / resume, carried out by the instance's own runner in turn. */
export type ControlKind = "terminate" | "suspend" | "resume";

export type MessageBody =
  /** An event for an orchestration; `executionId` set: only that execution takes it (others drop it). */
  | { kind: "event"; item: InboxItem; executionId?: string }
  | { kind: "control"; control: ControlKind; reason: string }
  | { kind: "operation"; op: EntityOperation }
  /** The release of the lock orchestration `holder` has on the entity. */
  | { kind: "release"; holder: string }
  | { kind: "activity"; executionId: string; taskId: number; name: string; input: unknown }
  | { kind: "http"; executionId: string; taskId: number; request: DurableHttpRequest };

/**
 * A durable message: sent inside the transaction of the step that produced it, deleted inside the
 * transaction of the step that consumed it, so each is handled once whatever crashes in between.
 */
export interface Message {
  /** Unique; a message whose id is already stored is not stored again (redelivery is deduplicated). */
  id: string;
  target: MessageTarget;
  /** The sender (an instance or entity id): messages on one route keep their order. Clients: none. */
  from?: string;
  /** Not visible before this time: a durable timer, or latency (a slow backend). */
  deliverAt: number;
  /** A durable timer (it does not count as work in flight: `waitForIdle` does not wait for it). */
  timer?: boolean;
  /** Order of arrival, assigned by the store. */
  seq: number;
  body: MessageBody;
}

export type NewMessage = Omit<Message, "seq">;

/**
 * What the Functions host's schedule monitor keeps for a timer trigger (its ScheduleStatus): the last
 * occurrence that ran, the next one due, and the time that next one was counted from, which is when this was
 * written (ISO times; `last` is "0001-01-01T00:00:00" before the first run).
 */
export interface ScheduleStatus {
  last: string;
  next: string;
  lastUpdated: string;
}

export interface InstanceQuery {
  runtimeStatus?: RuntimeStatus[];
  createdTimeFrom?: number;
  createdTimeTo?: number;
  instanceIdPrefix?: string;
}

export interface DurableStore {
  getInstance(instanceId: string): InstanceRecord | undefined;
  /** Creates or replaces the record. */
  putInstance(record: InstanceRecord): void;
  deleteInstance(instanceId: string): boolean;
  /** Matching instances ordered by creation time, then id. */
  queryInstances(query: InstanceQuery): InstanceRecord[];
  getEntity(entityId: string): EntityRecord | undefined;
  putEntity(record: EntityRecord): void;
  deleteEntity(entityId: string): boolean;
  listEntities(): EntityRecord[];

  /** Stores a message unless one with its id is stored; returns it as stored (with its seq), or undefined. */
  insertMessage(message: NewMessage): Message | undefined;
  deleteMessage(id: string): void;
  /** The messages for `target`, in delivery order (deliverAt, then arrival). */
  messagesFor(target: MessageTarget): Message[];
  /** Every stored message, in delivery order (recovery after a restart). */
  allMessages(): Message[];
  /** The latest delivery time of a stored message on the route from `from` to `target`. */
  lastDeliveryOnRoute(from: string, target: MessageTarget): number | undefined;

  /** The timer trigger's monitored schedule (see ../scheduleMonitor), if one was stored. */
  getScheduleStatus(functionName: string): ScheduleStatus | undefined;
  putScheduleStatus(functionName: string, status: ScheduleStatus): void;

  /**
   * Runs `fn` as one transaction: all of its writes are stored, or (if it throws) none. Transactions nest
   * (an inner one is part of the outer one). `fn` must not await.
   */
  transaction<T>(fn: () => T): T;
  /** Releases what the store holds open (files, locks). */
  close(): void;
}

export function matchesQuery(record: InstanceRecord, query: InstanceQuery): boolean {
  if (
    query.runtimeStatus &&
    query.runtimeStatus.length > 0 &&
    !query.runtimeStatus.includes(record.runtimeStatus)
  )
    return false;
  if (query.createdTimeFrom !== undefined && record.createdTime < query.createdTimeFrom) return false;
  if (query.createdTimeTo !== undefined && record.createdTime > query.createdTimeTo) return false;
  if (query.instanceIdPrefix !== undefined && !record.instanceId.startsWith(query.instanceIdPrefix))
    return false;
  return true;
}
