/**
 * The job coordinator's state and operations. Plain data only (no Durable types): the entity stores
 * `JobState` as JSON, and every operation is a pure function of (state, input, now, config).
 */

export const POLICIES = ["reject", "useExisting", "replace", "queue"] as const;
export type Policy = (typeof POLICIES)[number];

export type Phase = "starting" | "running";

/** How a run ended, as recorded in `lastFinished`. */
export type Outcome =
  | "completed"
  | "failed"
  | "terminated"
  | "purged"
  | "released"
  | "replaced"
  /** accepted but never confirmed within its lease, then taken over */
  | "abandoned";

export interface ActiveRun {
  generation: number;
  instanceId: string;
  orchestrator: string;
  phase: Phase;
  requestId: string;
  acquiredAt: number;
  confirmedAt?: number;
  /** The last execution (cycle) of the run that confirmed; a later confirm must come from a newer one. */
  cycle?: number;
  /** After this time an unconfirmed run may be taken over by the next tryStart. */
  leaseUntil: number;
  /**
   * Input of a run promoted from the queue, kept until the run confirms so that whoever re-drives the
   * start (the finishing orchestration's start activity, a timer tick) still has it.
   */
  pendingInput?: unknown;
  /** Set when the run was promoted from the queue (its starter is the previous run, not an HTTP caller). */
  promoted?: boolean;
  /** The run this one replaced (policy replace), for the starter's answer. */
  replaces?: RunRef;
}

/** A run by generation and orchestration instance id. */
export interface RunRef {
  generation: number;
  instanceId: string;
}

export interface QueuedRequest {
  requestId: string;
  orchestrator: string;
  input?: unknown;
  /** Set for seed-route requests, whose instance id is fixed; otherwise derived from the generation. */
  instanceId?: string;
  queuedAt: number;
}

export interface FinishedRun {
  generation: number;
  instanceId: string;
  orchestrator: string;
  outcome: Outcome;
  acquiredAt: number;
  confirmedAt?: number;
  finishedAt: number;
  /** Short output or error summary (bounded). */
  summary?: string;
}

export interface Counters {
  accepted: number;
  rejected: number;
  existing: number;
  queued: number;
  replaced: number;
  completed: number;
  failed: number;
  reconciled: number;
  released: number;
  superseded: number;
  stale: number;
  leaseExpired: number;
}

/** A compact event record: [time, type, generation, detail?]. Bounded to the last `MAX_EVENTS`. */
export type EventRecord = [at: number, type: string, generation: number, detail?: string];

/** Decision codes stored per request id. */
export type DecisionCode = "started" | "existing" | "rejected" | "queueFull" | "queued";

/** A compact request record; see core/requestRecords.ts for its encoding. */
export type RequestRecord = [
  requestId: string,
  code: string,
  generation: number,
  fixedInstanceId?: string,
  attempt?: number,
];

export interface JobState {
  job: string;
  /** Last generation handed out; generations increase by one per accepted run and never repeat. */
  generation: number;
  active?: ActiveRun;
  queue: QueuedRequest[];
  lastFinished?: FinishedRun;
  counters: Counters;
  events: EventRecord[];
  requests: RequestRecord[];
  /**
   * Confirmed runs that were replaced and may still be executing. The next run to confirm is told to
   * terminate them before it runs user code (whatever happened to the runs accepted in between).
   */
  toTerminate?: RunRef[];
}

export interface CoordinatorConfig {
  leaseMs: number;
  maxQueue: number;
}

export interface TryStartInput {
  requestId: string;
  orchestrator: string;
  input?: unknown;
  policy: Policy;
  /** Fixed instance id (seed route). Without it the instance id is `<job>:<generation>`. */
  instanceId?: string;
  /** Attempt number; a reconcile-and-retry re-decides the same request id with a higher attempt. */
  attempt?: number;
}

export interface HolderInfo {
  generation: number;
  instanceId: string;
  phase: Phase;
  orchestrator: string;
}

export type Decision =
  | {
      kind: "started";
      generation: number;
      instanceId: string;
      /** The run this one replaced (policy replace): the starter terminates it. */
      replaced?: { generation: number; instanceId: string };
    }
  | { kind: "existing"; holder: HolderInfo }
  | { kind: "rejected"; holder: HolderInfo; reason: "held" | "queueFull" }
  | { kind: "queued"; position: number; holder: HolderInfo };

export interface ConfirmInput {
  generation: number;
  instanceId: string;
  /** Which execution of the run is confirming: 0 at the start, +1 at every continueAsNew. */
  cycle?: number;
}

export type ConfirmAnswer =
  { status: "holder"; terminate?: RunRef[] } | { status: "superseded"; activeGeneration?: number };

export interface CompleteInput {
  generation: number;
  outcome: "completed" | "failed";
  summary?: string;
}

/** A run promoted from the queue: whoever receives it must start its orchestration. */
export interface PromotedRun {
  job: string;
  generation: number;
  instanceId: string;
  orchestrator: string;
  input?: unknown;
}

export interface ReleaseAnswer {
  released: boolean;
  reason?: "stale" | "noHolder" | "starting";
  promoted?: PromotedRun;
}

export const OBSERVED_STATUSES = ["Completed", "Failed", "Terminated", "Purged", "NotFound"] as const;
export type ObservedStatus = (typeof OBSERVED_STATUSES)[number];

export interface ReconcileInput {
  generation: number;
  observedStatus: ObservedStatus;
  /** Re-decide this request after reconciling (same request id, higher attempt). */
  retry?: TryStartInput;
}

export interface ForceReleaseInput {
  reason?: string;
}

/** The input envelope every singleton orchestration receives: the fencing token travels in it. */
export interface RunEnvelope<T = unknown> {
  job: string;
  generation: number;
  /** Execution counter within the run (continueAsNew increments it); absent means 0. */
  cycle?: number;
  input?: T;
}
