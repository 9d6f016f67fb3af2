/**
 * The follow-up of a request whose starter ran out of its wait budget (on a slow backend). The starter
 * hands the request, with its ticket, to a durable orchestration and answers `pending`; the orchestration
 * asks the entity directly (callEntity: the answer comes back, no polling), starts the run if its ticket
 * is the run's start ticket, and ends with the decision as its output, which
 * `GET /api/jobs/{job}/requests/{requestId}` serves.
 *
 * Written as a generator of steps, so the orchestration binding (orchestrators/followUp.ts) and the
 * protocol property test drive the same logic.
 *
 * The starter's own signal may still be in flight: if it is decided first, the direct call finds its
 * standing decision; if the direct call is decided first, it advances `seq` and the late signal is
 * outdated. Either way the request is decided once. A reconcile or release signal still in flight is
 * fenced the same way: the direct call for the same run makes the later one a stale no-op. Pause and resume
 * requests work like start requests: compare-and-set signals, recorded by request id, so the direct call
 * finds a signal that was applied first and never applies the request twice.
 */
import { decisionOf, tickRequestId } from "./coordinator";
import type {
  Decision,
  ForceReleaseInput,
  PauseAnswer,
  PauseInput,
  ReconcileInput,
  ReleaseAnswer,
  ResumeAnswer,
  ResumeInput,
  RunRef,
  RunToStart,
  TickAnswer,
  TickInput,
  TickOutcome,
  TryStartAnswer,
  TryStartInput,
} from "./types";

export interface PendingRelease extends ForceReleaseInput {
  generation: number;
  requestId: string;
  starter: string;
  reason: string;
}

export type PendingRequest =
  | {
      kind: "start";
      job: string;
      request: TryStartInput;
      /** The reconcile the starter had signalled when it ran out of budget (it may still be in flight). */
      reconcile?: ReconcileInput & { starter: string };
    }
  | { kind: "release"; job: string; release: PendingRelease }
  | { kind: "pause"; job: string; pause: PauseInput }
  | { kind: "resume"; job: string; resume: ResumeInput & { starter: string } }
  | {
      kind: "tick";
      job: string;
      tick: TickInput & { starter: string };
      /** The reconcile the tick had signalled when it ran out of budget (it may still be in flight). */
      reconcile?: ReconcileInput & { starter: string };
    };

export type FollowUpStep =
  | {
      kind: "callEntity";
      job: string;
      operation: "tryStart" | "release" | "reconcile" | "pause" | "resume" | "tick";
      input: unknown;
    }
  | { kind: "terminate"; instanceId: string; reason: string }
  | { kind: "startRun"; run: RunToStart; input: unknown }
  /** Sleep until this time (a durable timer). */
  | { kind: "waitUntil"; at: number };

export type ReleaseResult =
  { kind: "released"; released: RunRef; promoted?: RunRef } | { kind: "notHeld"; generation: number };

/** How a pause request ended: it paused the job, or someone else had. */
export type PauseResult = Exclude<PauseAnswer, { kind: "outdated" }>;

/** How a schedule's tick ended: `duplicate` when a tick for its time had been decided before this one. */
export interface TickFollowUpResult {
  duplicate: boolean;
  outcome?: TickOutcome;
  /** The run the tick got; a started one exists (it confirmed, or this follow-up started it). */
  decision?: Decision;
  /** The tick's run, started by another party, never confirmed and its lease ended: given up. */
  abandoned?: true;
}

/** How a resume request ended: it resumed the job (and the run it promoted was started), or it was not paused. */
export type ResumeResult = { kind: "resumed"; promoted?: RunRef } | { kind: "notPaused" };

export type FollowUpResult =
  | { kind: "start"; decision: Decision }
  | { kind: "release"; result: ReleaseResult }
  | { kind: "pause"; result: PauseResult }
  | { kind: "resume"; result: ResumeResult }
  | { kind: "tick"; result: TickFollowUpResult };

function* startRunStep(run: RunToStart, input: unknown): Generator<FollowUpStep, void, unknown> {
  yield { kind: "startRun", run, input };
}

function* pauseSteps(job: string, input: PauseInput): Generator<FollowUpStep, FollowUpResult, unknown> {
  const answer = (yield { kind: "callEntity", job, operation: "pause", input }) as PauseAnswer;
  if (answer.kind === "outdated") throw new Error("a direct pause is never outdated");
  return { kind: "pause", result: answer };
}

function* resumeSteps(
  job: string,
  input: ResumeInput & { starter: string },
): Generator<FollowUpStep, FollowUpResult, unknown> {
  const answer = (yield { kind: "callEntity", job, operation: "resume", input }) as ResumeAnswer;
  if (answer.kind === "outdated") throw new Error("a direct resume is never outdated");
  if (answer.kind === "notPaused") return { kind: "resume", result: answer };
  const { promoted } = answer;
  if (!promoted) return { kind: "resume", result: { kind: "resumed" } };
  yield* startRunStep(promoted, promoted.input);
  return {
    kind: "resume",
    result: {
      kind: "resumed",
      promoted: { generation: promoted.generation, instanceId: promoted.instanceId },
    },
  };
}

/** Starts the run this party holds the ticket of: its own (after the run it replaced is terminated), or a promoted one. */
function* startTicketRun(
  mustStart: RunToStart,
  own: { requestId: string; input?: unknown },
  decision: Decision | undefined,
): Generator<FollowUpStep, void, unknown> {
  const isOwn = mustStart.requestId === own.requestId;
  if (
    isOwn &&
    decision?.kind === "started" &&
    decision.replaced &&
    mustStart.generation === decision.generation
  ) {
    yield {
      kind: "terminate",
      instanceId: decision.replaced.instanceId,
      reason: `replaced by generation ${decision.generation}`,
    };
  }
  // Its own run's input is the request's; a run it promoted (by a reconcile) carries its input.
  yield* startRunStep(mustStart, isOwn ? own.input : mustStart.input);
}

/**
 * Asks the entity directly (a direct call is never outdated). While the answer names a run that waits for
 * its start by another party (`awaitingStartUntil`: that party may have died), asks again when the run's
 * lease ends: by then it confirmed, or it was given up and the entity decides afresh.
 */
function* askUntilSettled<A extends { kind: string }>(
  job: string,
  operation: "tryStart" | "tick",
  input: unknown,
): Generator<FollowUpStep, Exclude<A, { kind: "outdated" }>, unknown> {
  for (;;) {
    const answer = (yield { kind: "callEntity", job, operation, input }) as A;
    if (answer.kind === "outdated") throw new Error(`a direct ${operation} is never outdated`);
    const until = (answer as { awaitingStartUntil?: number }).awaitingStartUntil;
    if (until === undefined) return answer as Exclude<A, { kind: "outdated" }>;
    yield { kind: "waitUntil", at: until };
  }
}

function* tickSteps(
  pending: Extract<PendingRequest, { kind: "tick" }>,
): Generator<FollowUpStep, FollowUpResult, unknown> {
  const { job, tick } = pending;
  if (pending.reconcile) {
    yield { kind: "callEntity", job, operation: "reconcile", input: pending.reconcile };
  }
  // A duplicate of a twin firing's tick whose run waits for its start settles when that run confirms or is given up.
  const answer = yield* askUntilSettled<TickAnswer>(job, "tick", tick);
  if (answer.kind === "notDue") return { kind: "tick", result: { duplicate: false } };
  if (answer.mustStart) {
    yield* startTicketRun(
      answer.mustStart,
      { requestId: tickRequestId(tick.scheduledAt), input: tick.input },
      answer.decision,
    );
  }
  const result: TickFollowUpResult = { duplicate: answer.kind === "duplicate" };
  if (answer.outcome !== undefined) result.outcome = answer.outcome;
  if (answer.decision !== undefined) result.decision = answer.decision;
  if (answer.kind === "duplicate" && answer.abandoned) result.abandoned = true;
  return { kind: "tick", result };
}

export function* followUpSteps(pending: PendingRequest): Generator<FollowUpStep, FollowUpResult, unknown> {
  if (pending.kind === "pause") return yield* pauseSteps(pending.job, pending.pause);
  if (pending.kind === "resume") return yield* resumeSteps(pending.job, pending.resume);
  if (pending.kind === "tick") return yield* tickSteps(pending);
  if (pending.kind === "start") {
    const { request } = pending;
    if (pending.reconcile) {
      // Calling it directly fences the signal: whichever comes second finds the holder gone and changes
      // nothing, and a run either one promoted carries this ticket (the tryStart below names it again).
      yield { kind: "callEntity", job: pending.job, operation: "reconcile", input: pending.reconcile };
    }
    const answer = yield* askUntilSettled<TryStartAnswer>(pending.job, "tryStart", request);
    const decision = decisionOf(answer);
    if (answer.mustStart) yield* startTicketRun(answer.mustStart, request, decision);
    return { kind: "start", decision };
  }
  const { release } = pending;
  const answer = (yield {
    kind: "callEntity",
    job: pending.job,
    operation: "release",
    input: release,
  }) as ReleaseAnswer;
  if (answer.promoted) yield* startRunStep(answer.promoted, answer.promoted.input);
  if (!answer.released || !answer.run) {
    return { kind: "release", result: { kind: "notHeld", generation: release.generation } };
  }
  const result: ReleaseResult = { kind: "released", released: answer.run };
  if (answer.promoted) {
    result.promoted = { generation: answer.promoted.generation, instanceId: answer.promoted.instanceId };
  }
  return { kind: "release", result };
}
