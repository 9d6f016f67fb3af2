/**
 * What the Durable engine persists, and the store interface it talks to. The in-memory store keeps these
 * records as live objects; a persistent store can serialize them on `put*` (records are plain JSON data).
 */
import type { DurableHttpRequest } from "./durableHttp";
import type { HistoryEvent } from "./history";

export type RuntimeStatus =
  "Pending" | "Running" | "Completed" | "Failed" | "Terminated" | "Suspended" | "ContinuedAsNew";

export const TERMINAL_STATUSES: ReadonlySet<RuntimeStatus> = new Set(["Completed", "Failed", "Terminated"]);

/** A new event waiting to be handed to the orchestrator in its next episode. */
export interface InboxItem {
  event: HistoryEvent;
  /**
   * True when the SDK assigns a sequence number while replaying this event (a retried task's failure or
   * its retry timer). Such an event must open an episode so the engine can mirror the numbering.
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
  history: HistoryEvent[];
  inbox: InboxItem[];
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
  queue: EntityOperation[];
  /** The orchestration holding this entity's lock: only its operations run until it releases it. */
  lockedBy?: string;
}

export interface InstanceQuery {
  runtimeStatus?: RuntimeStatus[];
  createdTimeFrom?: number;
  createdTimeTo?: number;
  instanceIdPrefix?: string;
}

export interface DurableStore {
  getInstance(instanceId: string): InstanceRecord | undefined;
  /** Creates or updates (the engine mutates records it got from the store, then puts them back). */
  putInstance(record: InstanceRecord): void;
  deleteInstance(instanceId: string): boolean;
  /** Matching instances ordered by creation time, then id. */
  queryInstances(query: InstanceQuery): InstanceRecord[];
  getEntity(entityId: string): EntityRecord | undefined;
  putEntity(record: EntityRecord): void;
  deleteEntity(entityId: string): boolean;
  listEntities(): EntityRecord[];
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
