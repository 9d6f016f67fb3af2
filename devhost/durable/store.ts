/**
 * What the Durable engine persists, and the store interface it talks to. The in-memory store keeps these
 * records as live objects; a persistent store can serialize them on `put*` (records are plain JSON data).
 */
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
  /** Raised through the management API / raiseEvent (carried into the next generation on continueAsNew). */
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

export interface ParentLink {
  instanceId: string;
  executionId: string;
  taskScheduledId: number;
}

export interface InstanceRecord {
  instanceId: string;
  name: string;
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
  failureDetails?: unknown;
}

export interface EntityOperation {
  requestId: string;
  operation: string;
  /** JSON text of the operation input, or undefined. */
  input?: string;
  isSignal: boolean;
  /** The orchestration waiting for the answer (calls only). */
  parentInstanceId?: string;
  parentExecutionId?: string;
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
