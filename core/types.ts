/**
 * The job coordinator's state and operations. Plain data only (no Durable types): the entity stores
 * `JobState` as JSON, and every operation is a pure function of (state, input, now, config).
 */

export const POLICIES = ["reject", "useExisting", "replace", "queue"] as const;
export type Policy = (typeof POLICIES)[number];

/**
 * What a schedule's tick does when the job is still held: `skip` the tick, `queue` it (at most one tick
 * waits), or `replace` the running run. Each is one of the start policies (`OVERLAP_POLICY` in
 * core/coordinator.ts).
 */
export const OVERLAPS = ["skip", "queue", "replace"] as const;
export type Overlap = (typeof OVERLAPS)[number];

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
   * The ticket of the one party that starts this run's orchestration while it is `starting`: the starter
   * whose request was accepted, or whoever released the job when the run was promoted from the queue.
   * Nobody else ever starts it, so no instance is started twice (see README, "A run is started once").
   */
  starter?: string;
  /** Input of a run promoted from the queue, kept until the run confirms (its starter needs it). */
  pendingInput?: unknown;
  /** Set when the run was promoted from the queue. */
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
  /**
   * Compare-and-set requests (start, pause, resume) that arrived after the job had changed (the caller
   * re-reads and retries).
   */
  outdated: number;
}

/**
 * A paused job refuses every new start (the running run, if any, finishes normally; queued requests wait
 * until the job is resumed). Who paused it, when and why.
 */
export interface PauseInfo {
  since: number;
  by: string;
  reason?: string;
}

/**
 * A finished run in the job's run history (the last `MAX_RUNS`, see core/runHistory.ts), compact because
 * every start reads the whole state: [generation, outcome, startedAt, durationMs, orchestrator, summary?,
 * fixedInstanceId?]. `startedAt` is when the run was accepted, `durationMs` from then until it ended;
 * `summary` (short) is kept for runs that did not complete, "" when absent but a fixed instance id (seed
 * route) follows.
 */
export type RunRecord = [
  generation: number,
  outcome: Outcome,
  startedAt: number,
  durationMs: number,
  orchestrator: string,
  summary?: string,
  fixedInstanceId?: string,
];

/** A compact event record: [time, type, generation, detail?]. Bounded to the last `MAX_EVENTS`. */
export type EventRecord = [at: number, type: string, generation: number, detail?: string];

/**
 * A compact record of a decision that changed the job, by request id (see core/requestRecords.ts):
 * "s" = the request got run `generation` (its instance id is `fixedInstanceId`, or `<job>:<generation>`
 * when absent); "l" = the release request released run `generation`; "p" / "u" = the request paused /
 * resumed the job (`generation` is the job's generation at that moment).
 */
export type RequestRecord = [
  requestId: string,
  code: "s" | "l" | "p" | "u",
  generation: number,
  fixedInstanceId?: string,
];

/** How a job's last scheduled tick ended (see core/tickPlan.ts and `tick` in core/coordinator.ts). */
export const TICK_OUTCOMES = ["started", "skipped", "queued", "replaced", "paused", "missed"] as const;
export type TickOutcome = (typeof TICK_OUTCOMES)[number];

/**
 * The schedule's bookkeeping in a job's state (compact: every start reads the whole state): the scheduled
 * time of the last tick the job saw (a tick for that time or an earlier one is a duplicate), how it ended,
 * and how many due ticks were missed in all.
 */
export interface TickRecord {
  last: number;
  outcome: TickOutcome;
  /** Set when the last tick's run was a catch-up (it stood for missed ticks too). */
  catchUp?: true;
  missed: number;
}

export interface JobState {
  job: string;
  /** Last generation handed out; generations increase by one per accepted run and never repeat. */
  generation: number;
  /**
   * The decision sequence: +1 for every start request the entity decided and every promotion from the
   * queue. A starter's `tryStart` names the `seq` it read (`expectSeq`): the entity decides it only if
   * nothing was decided in between, so the starter knows the decision from the state it read.
   */
  seq: number;
  active?: ActiveRun;
  queue: QueuedRequest[];
  lastFinished?: FinishedRun;
  /** The last finished runs, oldest first (absent in states written before run history existed). */
  runs?: RunRecord[];
  /** Set while the job is paused. */
  paused?: PauseInfo;
  counters: Counters;
  events: EventRecord[];
  /** Decisions that changed the job, last `MAX_REQUESTS`; rejections and useExisting answers are not kept. */
  requests: RequestRecord[];
  /**
   * Confirmed runs that were replaced and may still be executing. The next run to confirm is told to
   * terminate them before it runs user code (whatever happened to the runs accepted in between).
   */
  toTerminate?: RunRef[];
  /**
   * Runs displaced (replaced, force-released) while still `starting`: never confirmed, perhaps not started
   * yet. The holder of a run's start ticket still starts it (its orchestration is then superseded at confirm
   * and ends without user code), so a "started" answer always names a run that exists; a retry of its request
   * waits for that until the lease ends. Kept until the run confirms or its lease ends (then its request is
   * forgotten, as for an abandoned run); at most MAX_DISPLACED.
   */
  displaced?: DisplacedRun[];
  /** Set once a schedule ticked for this job. */
  ticks?: TickRecord;
}

export interface DisplacedRun {
  generation: number;
  instanceId: string;
  orchestrator: string;
  requestId: string;
  starter: string;
  leaseUntil: number;
  input?: unknown;
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
  /**
   * Compare-and-set: decide only while the job's `seq` still equals this, otherwise change nothing (the
   * answer is `outdated`). Absent: decide now (a caller that gets the answer directly, an orchestration).
   */
  expectSeq?: number;
  /** The caller's ticket: if this request is accepted, the caller (and only it) starts the run. */
  starter?: string;
  /**
   * Policy `replace` only: the newest generation this request may replace (the job's generation when the
   * request arrived). A run accepted while the request was in flight is not replaced: the answer is a
   * rejection with reason `conflict`, so concurrent replace requests cannot replace each other in turn.
   */
  replaceUpTo?: number;
}

export interface HolderInfo {
  generation: number;
  instanceId: string;
  phase: Phase;
  orchestrator: string;
}

/** Why a start request was refused while the job is held. */
export type HeldRejectReason = "held" | "queueFull" | "conflict";
export type RejectReason = HeldRejectReason | "paused";

export type Decision =
  | {
      kind: "started";
      generation: number;
      instanceId: string;
      /** The run this one replaced (policy replace): the starter terminates it. */
      replaced?: RunRef;
    }
  | { kind: "existing"; holder: HolderInfo }
  | { kind: "rejected"; holder: HolderInfo; reason: HeldRejectReason }
  /** The job is paused: every new start is refused; `holder` is the run still going, if any. */
  | { kind: "rejected"; reason: "paused"; paused: PauseInfo; holder?: HolderInfo }
  | { kind: "queued"; position: number; holder: HolderInfo };

export type DecisionKind = Decision["kind"];

/** A run whose orchestration the receiver must start (it holds the run's start ticket). */
export interface RunToStart {
  job: string;
  generation: number;
  instanceId: string;
  orchestrator: string;
  /** The request the run belongs to. */
  requestId: string;
  /** The run's input when the entity keeps it (a run promoted from the queue). */
  input?: unknown;
}

export type TryStartAnswer =
  | { kind: "outdated"; seq: number }
  | (Decision & {
      /**
       * The active run, while it waits to be started, when the caller's ticket is its start ticket: the
       * caller's own run, or one its earlier reconcile promoted from the queue. The caller must start it.
       */
      mustStart?: RunToStart;
      /**
       * A retry of a request whose run waits to be started by another party (the starter that holds its
       * ticket, which may have died): the run is not known to be started until it confirms, or until its
       * lease ends at this time (then the request is decided afresh). Ask again then.
       */
      awaitingStartUntil?: number;
    });

/** A tryStart answer that decided (anything but `outdated`). */
export type DecidedStart = Exclude<TryStartAnswer, { kind: "outdated" }>;

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
  /** The completing orchestration's ticket: it starts the run promoted from the queue, if any. */
  starter?: string;
}

/** A run promoted from the queue: whoever receives it must start its orchestration. */
export type PromotedRun = RunToStart;

export interface ReleaseAnswer {
  released: boolean;
  /** The run that was released. */
  run?: RunRef;
  reason?: "stale" | "noHolder" | "starting";
  /** The run promoted from the queue, when the caller holds its start ticket. */
  promoted?: PromotedRun;
}

export const OBSERVED_STATUSES = ["Completed", "Failed", "Terminated", "Purged", "NotFound"] as const;
export type ObservedStatus = (typeof OBSERVED_STATUSES)[number];

export interface ReconcileInput {
  generation: number;
  observedStatus: ObservedStatus;
  /** The reconciling caller's ticket: it starts the run promoted from the queue, if any. */
  starter?: string;
}

export interface ForceReleaseInput {
  reason?: string;
  /** Release only this run (the one the caller saw); a later run is left alone. */
  generation?: number;
  /** Recorded when the release applies, so the caller (or a retry) can tell it did. */
  requestId?: string;
  /** The releasing caller's ticket: it starts the run promoted from the queue, if any. */
  starter?: string;
}

export interface PauseInput {
  /** Recorded when the pause applies, so the caller (or its follow-up) can tell it did. */
  requestId: string;
  /** Who paused the job (as the caller states it). */
  by?: string;
  reason?: string;
  /** Compare-and-set on `seq`, as for tryStart: apply only if nothing was decided since the caller read. */
  expectSeq?: number;
}

export type PauseAnswer =
  | { kind: "outdated"; seq: number }
  /** This request paused the job; `pause` while it is still paused (it may have been resumed since). */
  | { kind: "paused"; pause?: PauseInfo }
  /** Someone else had paused it: nothing changed. */
  | { kind: "alreadyPaused"; pause: PauseInfo };

export interface ResumeInput {
  requestId: string;
  by?: string;
  expectSeq?: number;
  /** The resuming caller's ticket: it starts the run promoted from the queue, if any. */
  starter?: string;
}

export type ResumeAnswer =
  | { kind: "outdated"; seq: number }
  /** This request resumed the job; `promoted` is the run the caller must start (its ticket is the run's). */
  | { kind: "resumed"; promoted?: PromotedRun }
  | { kind: "notPaused" };

/** Answers a starter gave from the state it read, without a decision by the entity: counted only. */
export const NOTED_ANSWERS = ["rejected", "existing"] as const;
export type NotedAnswer = (typeof NOTED_ANSWERS)[number];

export interface NoteInput {
  answer: NotedAnswer;
}

/** The input envelope every singleton orchestration receives: the fencing token travels in it. */
export interface RunEnvelope<T = unknown> {
  job: string;
  generation: number;
  /** Execution counter within the run (continueAsNew increments it); absent means 0. */
  cycle?: number;
  input?: T;
}

/** A schedule's timer tick (entity operation `tick`): a start request keyed by its scheduled time. */
export interface TickInput {
  scheduledAt: number;
  firedAt: number;
  pastDue?: boolean;
  orchestrator: string;
  input?: unknown;
  overlap: Overlap;
  /** The schedule (NCRONTAB) and its zone: the coordinator enumerates the ticks missed since the last one. */
  cron: string;
  timeZone: string;
  /** How old a missed tick may be and still run (once, as a catch-up); 0: never. */
  catchUpWindowMs: number;
  /** Compare-and-set on `seq`, as for tryStart. */
  expectSeq?: number;
  /** The caller's ticket: if the tick starts a run, the caller (and only it) starts it. */
  starter?: string;
}

export type TickAnswer =
  | { kind: "outdated"; seq: number }
  /**
   * A tick for this time (or a later one) was decided already: nothing changes. `outcome` is how that
   * tick ended when it was the last one; `decision` the run its request id got, if any.
   */
  | {
      kind: "duplicate";
      outcome?: TickOutcome;
      decision?: Decision;
      mustStart?: RunToStart;
      /**
       * The tick's run still waits for its start by the party holding its ticket (which may have died): it is
       * not known to be started until it confirms, or until its lease ends at this time (then it is given up).
       */
      awaitingStartUntil?: number;
      /** The tick's run never confirmed and its lease ended: it was given up (no run started for this time). */
      abandoned?: true;
    }
  /** The job never saw a tick and this one is late: the schedule began after it. Nothing changes. */
  | { kind: "notDue" }
  | {
      kind: "ticked";
      outcome: TickOutcome;
      catchUp: boolean;
      /** The start decision (absent when the tick was missed, or the job paused). */
      decision?: Decision;
      missed?: { first: number; count: number; atLeast?: boolean };
      mustStart?: RunToStart;
    };
