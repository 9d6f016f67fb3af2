/**
 * The job coordinator's decisions as pure functions: state in, state and answer out, time passed in.
 * The entity (entities/jobCoordinator.ts) is a thin binding that stores the state and returns the answer;
 * starters run the same `tryStart` on the state they read to know what the entity will decide.
 */
import {
  MAX_DETAIL_CHARS,
  MAX_QUEUE_LIMIT,
  MAX_SUMMARY_CHARS,
  pushEvent,
  summarize,
  truncate,
} from "./boundedState";
import { assertOperationInput } from "./operationInputs";
import {
  findRelease,
  findStartDecision,
  forgetRequest,
  pausedBy,
  recordPause,
  recordRelease,
  recordResume,
  recordStart,
  resumedBy,
} from "./requestRecords";
import { isoSeconds } from "./cronSchedule";
import { withFinishedRun } from "./runHistory";
import { instanceIdFor } from "./runIds";
import { missedDetail, tickDetail, tickEventType } from "./tickEvents";
import { planTick } from "./tickPlan";
import type {
  ActiveRun,
  CompleteInput,
  ConfirmAnswer,
  ConfirmInput,
  CoordinatorConfig,
  Counters,
  Decision,
  DecidedStart,
  DisplacedRun,
  FinishedRun,
  ForceReleaseInput,
  HeldRejectReason,
  HolderInfo,
  JobState,
  NoteInput,
  Outcome,
  Overlap,
  PauseAnswer,
  PauseInfo,
  PauseInput,
  Policy,
  PromotedRun,
  ReconcileInput,
  ReleaseAnswer,
  ResumeAnswer,
  ResumeInput,
  RunRef,
  RunToStart,
  TickAnswer,
  TickInput,
  TickOutcome,
  TickRecord,
  TryStartAnswer,
  TryStartInput,
} from "./types";

export { instanceIdFor };

export interface Applied<A> {
  state: JobState;
  answer: A;
}

export function holderOf(active: ActiveRun): HolderInfo {
  return {
    generation: active.generation,
    instanceId: active.instanceId,
    phase: active.phase,
    orchestrator: active.orchestrator,
  };
}

function leaseExpired(active: ActiveRun, now: number): boolean {
  return active.phase === "starting" && now >= active.leaseUntil;
}

function count(state: JobState, counter: keyof Counters, by = 1): JobState {
  return { ...state, counters: { ...state.counters, [counter]: state.counters[counter] + by } };
}

/** A compare-and-set request that arrived after the job changed: nothing changes but the count. */
function outdated(state: JobState): Applied<{ kind: "outdated"; seq: number }> {
  return { state: count(state, "outdated"), answer: { kind: "outdated", seq: state.seq } };
}

function finish(active: ActiveRun, outcome: Outcome, now: number, summary?: string): FinishedRun {
  const run: FinishedRun = {
    generation: active.generation,
    instanceId: active.instanceId,
    orchestrator: active.orchestrator,
    outcome,
    acquiredAt: active.acquiredAt,
    finishedAt: now,
  };
  if (active.confirmedAt !== undefined) run.confirmedAt = active.confirmedAt;
  if (summary !== undefined) run.summary = summary;
  return run;
}

/**
 * The run the holder of `ticket` must start: the active run while it waits to be started, or a run displaced
 * before it confirmed (see JobState.displaced), if the ticket is its.
 */
export function runToStartFor(state: JobState, ticket: string | undefined): RunToStart | undefined {
  if (ticket === undefined) return undefined;
  const a = state.active;
  if (a && a.phase === "starting" && a.starter === ticket) return runToStart(state.job, a, a.pendingInput);
  const d = state.displaced?.find((r) => r.starter === ticket);
  return d && runToStart(state.job, d, d.input);
}

function runToStart(job: string, run: Omit<RunToStart, "job" | "input">, input: unknown): RunToStart {
  const { generation, instanceId, orchestrator, requestId } = run;
  const start: RunToStart = { job, generation, instanceId, orchestrator, requestId };
  if (input !== undefined) start.input = input;
  return start;
}

/** At most this many displaced runs are kept (the oldest goes first, its request forgotten). */
export const MAX_DISPLACED = 8;

/** Drops displaced runs whose lease has ended (their requests are forgotten, as for an abandoned run). */
function expireDisplaced(state: JobState, now: number): JobState {
  const displaced = state.displaced;
  if (!displaced?.some((d) => now >= d.leaseUntil)) return state;
  return withDisplaced(
    state,
    displaced.filter((d) => now < d.leaseUntil),
    displaced.filter((d) => now >= d.leaseUntil),
    now,
  );
}

/**
 * Keeps `kept` as the displaced runs; each dropped one is given up like an unconfirmed holder whose lease ran
 * out: recorded as a leaseExpired event, its request forgotten so a retry is decided afresh. It is not counted
 * again: its ending (replaced or released) was counted when it was displaced.
 */
function withDisplaced(
  state: JobState,
  kept: DisplacedRun[],
  dropped: DisplacedRun[],
  now: number,
): JobState {
  let next: JobState = { ...state, displaced: kept };
  for (const d of dropped) {
    next = {
      ...next,
      events: pushEvent(next.events, now, "leaseExpired", d.generation, d.requestId),
      requests: forgetRequest(next.requests, d.requestId),
    };
  }
  if (kept.length === 0) delete next.displaced;
  return next;
}

/**
 * Drops an unconfirmed holder whose lease ran out, recording it as abandoned. Its request id is forgotten:
 * the run never ran user code (if it starts late, `confirm` supersedes it), so a retry may be decided afresh.
 */
function expireLease(state: JobState, now: number): JobState {
  const active = state.active;
  if (!active || !leaseExpired(active, now)) return state;
  return {
    ...withFinishedRun(
      count(state, "leaseExpired"),
      finish(active, "abandoned", now, "lease expired before the orchestration confirmed"),
    ),
    active: undefined,
    events: pushEvent(state.events, now, "leaseExpired", active.generation, active.requestId),
    requests: forgetRequest(state.requests, active.requestId),
  };
}

interface AcceptedRequest {
  requestId: string;
  orchestrator: string;
  instanceId?: string;
}

/** Makes `req` the new `starting` run with the next generation, recorded under its request id. */
function accept(
  state: JobState,
  req: AcceptedRequest,
  now: number,
  config: CoordinatorConfig,
  starter: string | undefined,
): { state: JobState; active: ActiveRun } {
  const generation = state.generation + 1;
  const active: ActiveRun = {
    generation,
    instanceId: instanceIdFor(state.job, generation, req.instanceId),
    orchestrator: req.orchestrator,
    phase: "starting",
    requestId: req.requestId,
    acquiredAt: now,
    leaseUntil: now + config.leaseMs,
  };
  if (starter !== undefined) active.starter = starter;
  const counted = count(state, "accepted");
  return {
    active,
    state: {
      ...counted,
      generation,
      active,
      events: pushEvent(state.events, now, "accepted", generation),
      requests: recordStart(state, req.requestId, generation, active.instanceId),
    },
  };
}

function acceptAndAnswer(
  state: JobState,
  req: TryStartInput,
  now: number,
  config: CoordinatorConfig,
  replaced?: RunRef,
): Applied<Decision> {
  const { state: accepted, active } = accept(state, req, now, config, req.starter);
  if (replaced) active.replaces = replaced;
  const answer: Decision = { kind: "started", generation: active.generation, instanceId: active.instanceId };
  if (replaced) answer.replaced = replaced;
  return { state: accepted, answer };
}

/**
 * A holder displaced while it may be executing user code (replaced, force-released) is terminated by the
 * next run to confirm, before that run's user code: only a confirmed run may be executing; an unconfirmed
 * one is superseded if it ever starts.
 */
function markForTermination(state: JobState, active: ActiveRun, now: number): JobState {
  if (active.phase !== "running") {
    if (active.starter === undefined) return state;
    const run: DisplacedRun = {
      generation: active.generation,
      instanceId: active.instanceId,
      orchestrator: active.orchestrator,
      requestId: active.requestId,
      starter: active.starter,
      leaseUntil: active.leaseUntil,
    };
    if (active.pendingInput !== undefined) run.input = active.pendingInput;
    const all = [...(state.displaced ?? []), run];
    return withDisplaced(state, all.slice(-MAX_DISPLACED), all.slice(0, -MAX_DISPLACED), now);
  }
  return {
    ...state,
    toTerminate: [
      ...(state.toTerminate ?? []),
      { generation: active.generation, instanceId: active.instanceId },
    ],
  };
}

interface HeldContext {
  state: JobState;
  active: ActiveRun;
  holder: HolderInfo;
  req: TryStartInput;
  now: number;
  config: CoordinatorConfig;
}

const rejected = (holder: HolderInfo, reason: HeldRejectReason): Decision => ({
  kind: "rejected",
  holder,
  reason,
});

function replaceHolder({ state, active, holder, req, now, config }: HeldContext): Applied<Decision> {
  // A run accepted while this request was in flight is not the one it meant to replace.
  if (req.replaceUpTo !== undefined && active.generation > req.replaceUpTo) {
    return { state, answer: rejected(holder, "conflict") };
  }
  const replaced: RunRef = { generation: active.generation, instanceId: active.instanceId };
  const marked = markForTermination(state, active, now);
  const cleared: JobState = {
    ...withFinishedRun(
      count(marked, "replaced"),
      finish(active, "replaced", now, `replaced by request ${req.requestId}`),
    ),
    active: undefined,
    events: pushEvent(marked.events, now, "replaced", active.generation, req.requestId),
  };
  return acceptAndAnswer(cleared, req, now, config, replaced);
}

function enqueue({ state, holder, req, now, config }: HeldContext): Applied<Decision> {
  if (state.queue.length >= Math.min(config.maxQueue, MAX_QUEUE_LIMIT)) {
    return { state, answer: rejected(holder, "queueFull") };
  }
  const queued: JobState["queue"][number] = {
    requestId: req.requestId,
    orchestrator: req.orchestrator,
    queuedAt: now,
  };
  if (req.input !== undefined) queued.input = req.input;
  if (req.instanceId !== undefined) queued.instanceId = req.instanceId;
  const next: JobState = {
    ...count(state, "queued"),
    queue: [...state.queue, queued],
    events: pushEvent(state.events, now, "queued", holder.generation, req.requestId),
  };
  return { state: next, answer: { kind: "queued", position: next.queue.length, holder } };
}

/** What each policy does when the job is held: a new policy does not compile until it has its handler. */
const WHEN_HELD: Record<Policy, (context: HeldContext) => Applied<Decision>> = {
  reject: ({ state, holder }) => ({ state, answer: rejected(holder, "held") }),
  useExisting: ({ state, holder }) => ({ state, answer: { kind: "existing", holder } }),
  replace: replaceHolder,
  queue: enqueue,
};

/**
 * Decides a start request on a job that is not paused (its `seq` already advanced): displaced runs and an
 * unconfirmed holder whose lease ended are dropped first; then the request is accepted, or the policy's
 * handler decides.
 */
function decide(
  state0: JobState,
  req: TryStartInput,
  now: number,
  config: CoordinatorConfig,
): Applied<Decision> {
  const state = expireLease(expireDisplaced(state0, now), now);
  return state.active
    ? WHEN_HELD[req.policy]({ state, active: state.active, holder: holderOf(state.active), req, now, config })
    : acceptAndAnswer(state, req, now, config);
}

/** Adds the run the caller must start: the active run, while it waits to be started, if the caller's ticket is its. */
function withStartTicket(state: JobState, decision: Decision, ticket: string | undefined): DecidedStart {
  const run = runToStartFor(state, ticket);
  return run ? { ...decision, mustStart: run } : decision;
}

/** The decision alone, without what it tells this caller to do (start a run, or wait for one). */
export function decisionOf(answer: DecidedStart): Decision {
  const decision: Decision & { mustStart?: unknown; awaitingStartUntil?: unknown } = { ...answer };
  delete decision.mustStart;
  delete decision.awaitingStartUntil;
  return decision;
}

/**
 * A start request's standing decision, as a retry gets it. If its run still waits to be started by someone
 * else, the answer says until when (`awaitingStartUntil`); once that run's lease has ended there is no standing
 * decision (undefined): the request is decided afresh, and the abandoned run's confirm will be superseded.
 */
export function standingStart(
  state: JobState,
  requestId: string,
  ticket: string | undefined,
  now: number,
): DecidedStart | undefined {
  const standing = findStartDecision(state, requestId);
  if (!standing) return undefined;
  if (standing.kind !== "started") return withStartTicket(state, standing, ticket);
  // The run may still wait for its start by the holder of its ticket (active, or displaced before it confirmed).
  const active = state.active;
  const waiting =
    active?.generation === standing.generation && active.phase === "starting"
      ? { starter: active.starter, leaseUntil: active.leaseUntil }
      : state.displaced?.find((d) => d.generation === standing.generation);
  if (!waiting || (ticket !== undefined && waiting.starter === ticket)) {
    return withStartTicket(state, standing, ticket);
  }
  // Its lease has ended: the run is abandoned and the request is decided afresh.
  if (now >= waiting.leaseUntil) return undefined;
  return { ...standing, awaitingStartUntil: waiting.leaseUntil };
}

/** The refusal of a start while the job is paused, naming the run still going, if any. */
function pausedRejection(state: JobState, paused: PauseInfo): Decision {
  return state.active
    ? { kind: "rejected", reason: "paused", paused, holder: holderOf(state.active) }
    : { kind: "rejected", reason: "paused", paused };
}

/**
 * Decides a start request. A request id with a standing decision (its run, its place in the queue, a
 * recorded run) gets that decision again, even while the job is paused. With `expectSeq`, the request is
 * decided only if the job's `seq` still equals it; otherwise nothing changes and the answer is
 * `outdated`. A paused job refuses every other request, whatever its policy, and changes nothing else (not
 * even an expired lease: the starter answers the refusal from the state it read). Every decision advances
 * `seq`, so the caller can tell its request was decided (a rejection is not recorded, and need not be:
 * the caller knows it from the state it read).
 */
export function tryStart(
  state0: JobState,
  req: TryStartInput,
  now: number,
  config: CoordinatorConfig,
): Applied<TryStartAnswer> {
  const standing = standingStart(state0, req.requestId, req.starter, now);
  if (standing) return { state: state0, answer: standing };
  if (req.expectSeq !== undefined && req.expectSeq !== state0.seq) {
    return outdated(state0);
  }
  if (state0.paused) {
    const state: JobState = { ...state0, seq: state0.seq + 1 };
    const counted = req.expectSeq === undefined ? count(state, "rejected") : state;
    return {
      state: counted,
      answer: withStartTicket(counted, pausedRejection(state0, state0.paused), req.starter),
    };
  }
  const decided = decide({ ...state0, seq: state0.seq + 1 }, req, now, config);
  const { answer } = decided;
  // A caller that gets this answer directly is counted here; a compare-and-set caller learns a rejection
  // from the state it reads and notes it itself (noteAnswer).
  const counted =
    req.expectSeq === undefined && (answer.kind === "rejected" || answer.kind === "existing")
      ? count(decided.state, answer.kind)
      : decided.state;
  return { state: counted, answer: withStartTicket(counted, answer, req.starter) };
}

/** The start policy a schedule's overlap setting stands for. */
export const OVERLAP_POLICY: Record<Overlap, Policy> = { skip: "reject", queue: "queue", replace: "replace" };

/** A schedule buffers at most one tick (`overlap: queue`), whatever SINGLETON_MAX_QUEUE allows HTTP callers. */
export const TICK_QUEUE_LIMIT = 1;

/** The request id of a schedule's tick: its scheduled time, so every firing for that time shares it. */
export function tickRequestId(scheduledAt: number): string {
  return `tick:${isoSeconds(scheduledAt)}`;
}

/** How a tick's start decision ended (a tick never asks useExisting, so it is never answered `existing`). */
function tickOutcomeOf(decision: Decision): TickOutcome {
  if (decision.kind === "started") return decision.replaced ? "replaced" : "started";
  return decision.kind === "queued" ? "queued" : "skipped";
}

/**
 * The answer to a tick for a time the job has seen (T or earlier than its last tick): nothing changes, and
 * its request id gets its standing decision as a retried start request does (`standingStart`). A run the
 * tick started that still waits for its start by the firing holding its ticket is not claimed as started
 * (it may never be, if that firing died): the answer says until when it waits instead. A tick is decided
 * once per scheduled time, so unlike a retried start request a duplicate never decides it afresh once that
 * run's lease has ended: the run is given up (`abandoned`; the coordinator records its lease expiry) and the
 * next tick decides the job's next run as usual (a late retry of T would be a late tick, which the schedule
 * only runs as a catch-up).
 */
function duplicateTick(state: JobState, input: TickInput, now: number): TickAnswer {
  const answer: Extract<TickAnswer, { kind: "duplicate" }> = { kind: "duplicate" };
  const seen = state.ticks;
  if (seen && input.scheduledAt === seen.last) answer.outcome = seen.outcome;
  const requestId = tickRequestId(input.scheduledAt);
  const standing = standingStart(state, requestId, input.starter, now);
  if (standing?.awaitingStartUntil !== undefined) {
    answer.awaitingStartUntil = standing.awaitingStartUntil;
  } else if (standing) {
    answer.decision = decisionOf(standing);
    if (standing.mustStart) answer.mustStart = standing.mustStart;
  } else if (findStartDecision(state, requestId)) {
    answer.abandoned = true;
  }
  return answer;
}

/**
 * A schedule's timer tick for its scheduled time T. Idempotent by T: a tick for T or an earlier time
 * than the last one the job saw is a duplicate (a second host, a retried timer, a restart) and changes
 * nothing; its request id (`tick:<T>`) gets its standing decision (`duplicateTick`). A late first tick
 * is not due (core/tickPlan.ts) and changes nothing either. Otherwise the tick is decided (a
 * compare-and-set on `seq` with `expectSeq`, like tryStart) and always recorded, whatever it decides:
 * the ticks missed since the last one (core/tickPlan.ts) as one `tick:missed` event; then, if a run is
 * due, its outcome as a `tick:<outcome>` event (`catchUp:<outcome>` for a catch-up run, "+k" in the
 * detail when it stands for k earlier ticks too): refused while the job is paused, else decided by the
 * overlap's start policy (skip = reject, queue = queue with room for one, replace = replace).
 */
export function tick(
  state0: JobState,
  input: TickInput,
  now: number,
  config: CoordinatorConfig,
): Applied<TickAnswer> {
  const at = input.scheduledAt;
  const requestId = tickRequestId(at);
  const seen = state0.ticks;
  if (seen && at <= seen.last) {
    return { state: state0, answer: duplicateTick(state0, input, now) };
  }
  if (input.expectSeq !== undefined && input.expectSeq !== state0.seq) return outdated(state0);

  const plan = planTick(
    { cron: input.cron, timeZone: input.timeZone },
    seen?.last,
    input,
    input.catchUpWindowMs,
  );
  if (!plan.run && !plan.missed) return { state: state0, answer: { kind: "notDue" } };
  const missed = (seen?.missed ?? 0) + (plan.missed?.count ?? 0);
  const record = (outcome: TickOutcome, catchUp: boolean): TickRecord =>
    catchUp ? { last: at, outcome, catchUp: true, missed } : { last: at, outcome, missed };
  const state: JobState = {
    ...state0,
    seq: state0.seq + 1,
    events: plan.missed
      ? pushEvent(state0.events, now, "tick:missed", state0.generation, missedDetail(plan.missed))
      : state0.events,
  };
  const withMissed = <A extends object>(answer: A) =>
    plan.missed ? { ...answer, missed: plan.missed } : answer;
  if (!plan.run) {
    return {
      state: { ...state, ticks: record("missed", false) },
      answer: withMissed({ kind: "ticked" as const, outcome: "missed" as const, catchUp: false }),
    };
  }
  const { catchUp, covers } = plan.run;
  const type = (outcome: TickOutcome) => tickEventType(outcome, catchUp);
  const detail = tickDetail(at, covers);
  if (state.paused) {
    const refused: JobState = {
      ...count(state, "rejected"),
      events: pushEvent(state.events, now, type("paused"), state.generation, detail),
      ticks: record("paused", catchUp),
    };
    return {
      state: refused,
      answer: withMissed({ kind: "ticked" as const, outcome: "paused" as const, catchUp }),
    };
  }
  const req: TryStartInput = {
    requestId,
    orchestrator: input.orchestrator,
    policy: OVERLAP_POLICY[input.overlap],
  };
  if (input.input !== undefined) req.input = input.input;
  if (input.starter !== undefined) req.starter = input.starter;
  const decided = decide(state, req, now, { ...config, maxQueue: TICK_QUEUE_LIMIT });
  const decision = decided.answer;
  const outcome = tickOutcomeOf(decision);
  const generation = decision.kind === "started" ? decision.generation : (decision.holder?.generation ?? 0);
  const counted = outcome === "skipped" ? count(decided.state, "rejected") : decided.state;
  const next: JobState = {
    ...counted,
    events: pushEvent(counted.events, now, type(outcome), generation, detail),
    ticks: record(outcome, catchUp),
  };
  const run = runToStartFor(next, input.starter);
  const answer = withMissed({ kind: "ticked" as const, outcome, catchUp, decision });
  return { state: next, answer: run ? { ...answer, mustStart: run } : answer };
}

export function confirm(state: JobState, input: ConfirmInput, now: number): Applied<ConfirmAnswer> {
  const active = state.active;
  const cycle = input.cycle ?? 0;
  if (active && active.generation === input.generation && active.instanceId === input.instanceId) {
    if (active.phase === "running") {
      // Each execution confirms once: the next cycle after a continueAsNew keeps the lock, while a second
      // execution of a cycle that already confirmed (a duplicate start of the same run) is superseded.
      if (cycle > (active.cycle ?? 0)) {
        return { state: { ...state, active: { ...active, cycle } }, answer: { status: "holder" } };
      }
    } else {
      const running: ActiveRun = { ...active, phase: "running", confirmedAt: now, cycle };
      delete running.pendingInput;
      delete running.replaces;
      delete running.starter;
      const answer: ConfirmAnswer = state.toTerminate?.length
        ? { status: "holder", terminate: state.toTerminate }
        : { status: "holder" };
      const confirmed: JobState = {
        ...state,
        active: running,
        events: pushEvent(state.events, now, "confirmed", active.generation),
      };
      delete confirmed.toTerminate;
      return { state: confirmed, answer };
    }
  }
  const answer: ConfirmAnswer = { status: "superseded" };
  if (active) answer.activeGeneration = active.generation;
  const displaced = state.displaced?.filter((d) => d.generation !== input.generation);
  const afterDisplaced =
    displaced && displaced.length !== state.displaced?.length
      ? withDisplaced(state, displaced, [], now)
      : state;
  return {
    state: {
      ...count(afterDisplaced, "superseded"),
      events: pushEvent(state.events, now, "superseded", input.generation, input.instanceId),
    },
    answer,
  };
}

/**
 * Promotes the head of the queue to a new `starting` run started by `starter`, if there is a head, no
 * holder and the job is not paused (a paused job's queue waits for `resume`, whose caller starts the head).
 */
function promote(
  state: JobState,
  now: number,
  config: CoordinatorConfig,
  starter: string | undefined,
): Applied<PromotedRun | undefined> {
  const [head, ...rest] = state.queue;
  if (!head || state.active || state.paused) return { state, answer: undefined };
  const accepted = accept({ ...state, queue: rest, seq: state.seq + 1 }, head, now, config, starter);
  const a = accepted.active;
  a.promoted = true;
  if (head.input !== undefined) a.pendingInput = head.input;
  const promoted: PromotedRun = {
    job: state.job,
    generation: a.generation,
    instanceId: a.instanceId,
    orchestrator: a.orchestrator,
    requestId: a.requestId,
  };
  if (head.input !== undefined) promoted.input = head.input;
  return {
    state: {
      ...accepted.state,
      events: pushEvent(accepted.state.events, now, "promoted", a.generation, head.requestId),
    },
    answer: promoted,
  };
}

function releaseActive(
  state: JobState,
  outcome: Outcome,
  now: number,
  config: CoordinatorConfig,
  counter: "completed" | "failed" | "reconciled" | "released",
  summary: string | undefined,
  starter: string | undefined,
): Applied<ReleaseAnswer> {
  const active = state.active as ActiveRun;
  const released: JobState = {
    ...withFinishedRun(count(state, counter), finish(active, outcome, now, summary)),
    active: undefined,
    events: pushEvent(
      state.events,
      now,
      outcome,
      active.generation,
      summary && truncate(summary, MAX_DETAIL_CHARS),
    ),
  };
  const promoted = promote(released, now, config, starter);
  const answer: ReleaseAnswer = {
    released: true,
    run: { generation: active.generation, instanceId: active.instanceId },
  };
  if (promoted.answer) answer.promoted = promoted.answer;
  return { state: promoted.state, answer };
}

function stale(state: JobState, now: number, what: string, generation: number): Applied<ReleaseAnswer> {
  return {
    state: { ...count(state, "stale"), events: pushEvent(state.events, now, `stale:${what}`, generation) },
    answer: { released: false, reason: state.active ? "stale" : "noHolder" },
  };
}

export function complete(
  state: JobState,
  input: CompleteInput,
  now: number,
  config: CoordinatorConfig,
): Applied<ReleaseAnswer> {
  if (state.active?.generation !== input.generation) return stale(state, now, "complete", input.generation);
  const counter = input.outcome === "failed" ? "failed" : "completed";
  return releaseActive(state, input.outcome, now, config, counter, summarize(input.summary), input.starter);
}

const OUTCOME_OF_OBSERVED: Record<ReconcileInput["observedStatus"], Outcome> = {
  Completed: "completed",
  Failed: "failed",
  Terminated: "terminated",
  Purged: "purged",
  NotFound: "purged",
};

/** Releases a holder whose orchestration was observed to have ended without reporting. */
export function reconcile(
  state: JobState,
  input: ReconcileInput,
  now: number,
  config: CoordinatorConfig,
): Applied<ReleaseAnswer> {
  const active = state.active;
  if (active?.generation !== input.generation) return stale(state, now, "reconcile", input.generation);
  // An unconfirmed run may simply not have started yet (or an older run's instance with the same fixed
  // id was observed): only its lease decides.
  if (active.phase === "starting" && !leaseExpired(active, now)) {
    return { state, answer: { released: false, reason: "starting" } };
  }
  const outcome = OUTCOME_OF_OBSERVED[input.observedStatus];
  return releaseActive(
    state,
    outcome,
    now,
    config,
    "reconciled",
    `observed ${input.observedStatus}`,
    input.starter,
  );
}

/**
 * The admin release: frees the job whatever its holder is doing. A confirmed holder is terminated by the
 * next run before that run's user code (and by the releasing caller at once, as a best effort); its later
 * reports are stale.
 */
export function forceRelease(
  state: JobState,
  input: ForceReleaseInput,
  now: number,
  config: CoordinatorConfig,
): Applied<ReleaseAnswer> {
  const done = input.requestId === undefined ? undefined : findRelease(state, input.requestId);
  if (done) {
    // A release request that was already applied (its signal, then its follow-up): the same answer again.
    const promoted = runToStartFor(state, input.starter);
    return {
      state,
      answer: promoted ? { released: true, run: done, promoted } : { released: true, run: done },
    };
  }
  const active = state.active;
  if (!active) return { state, answer: { released: false, reason: "noHolder" } };
  if (input.generation !== undefined && active.generation !== input.generation) {
    return stale(state, now, "release", input.generation);
  }
  const released = releaseActive(
    markForTermination(state, active, now),
    "released",
    now,
    config,
    "released",
    input.reason ?? "admin release",
    input.starter,
  );
  if (input.requestId === undefined) return released;
  return {
    state: {
      ...released.state,
      requests: recordRelease(released.state, input.requestId, active.generation, active.instanceId),
    },
    answer: released.answer,
  };
}

/** Who paused a job is at most this long (the caller states it). */
export const MAX_PAUSED_BY_CHARS = 64;

/**
 * Pauses the job: from now on it refuses every new start (`tryStart` answers `paused`), its running run
 * finishes normally, and its queue waits (nothing is promoted) until `resume`. A compare-and-set on `seq`
 * like a start request (a pause changes what tryStart decides, so it advances `seq`), recorded under its
 * request id, so a retry or the request's follow-up gets the same answer and never pauses the job again
 * after someone resumed it.
 */
export function pause(state: JobState, input: PauseInput, now: number): Applied<PauseAnswer> {
  if (pausedBy(state, input.requestId)) {
    return { state, answer: state.paused ? { kind: "paused", pause: state.paused } : { kind: "paused" } };
  }
  if (input.expectSeq !== undefined && input.expectSeq !== state.seq) return outdated(state);
  if (state.paused) return { state, answer: { kind: "alreadyPaused", pause: state.paused } };
  const info: PauseInfo = { since: now, by: truncate(input.by || "unknown", MAX_PAUSED_BY_CHARS) };
  if (input.reason) info.reason = truncate(input.reason, MAX_SUMMARY_CHARS);
  const detail = info.reason ? `${info.by}: ${info.reason}` : info.by;
  return {
    state: {
      ...state,
      seq: state.seq + 1,
      paused: info,
      events: pushEvent(state.events, now, "paused", state.generation, detail),
      requests: recordPause(state, input.requestId),
    },
    answer: { kind: "paused", pause: info },
  };
}

/**
 * Resumes a paused job and promotes the head of its queue if the job is free (its holder finished while
 * it was paused); the resuming caller holds the promoted run's start ticket, as an admin release does.
 * Compare-and-set and recorded like `pause`.
 */
export function resume(
  state: JobState,
  input: ResumeInput,
  now: number,
  config: CoordinatorConfig,
): Applied<ResumeAnswer> {
  if (resumedBy(state, input.requestId)) {
    const promoted = runToStartFor(state, input.starter);
    return { state, answer: promoted ? { kind: "resumed", promoted } : { kind: "resumed" } };
  }
  if (input.expectSeq !== undefined && input.expectSeq !== state.seq) return outdated(state);
  if (!state.paused) return { state, answer: { kind: "notPaused" } };
  const resumed: JobState = {
    ...state,
    seq: state.seq + 1,
    events: pushEvent(state.events, now, "resumed", state.generation, input.by || "unknown"),
    requests: recordResume(state, input.requestId),
  };
  delete resumed.paused;
  const promoted = promote(resumed, now, config, input.starter);
  return {
    state: promoted.state,
    answer: promoted.answer ? { kind: "resumed", promoted: promoted.answer } : { kind: "resumed" },
  };
}

/** Counts an answer a starter gave from the state it read (nothing else changes). */
export function noteAnswer(state: JobState, input: NoteInput): Applied<null> {
  return { state: count(state, input.answer), answer: null };
}

type Operation = (
  state: JobState,
  input: unknown,
  now: number,
  config: CoordinatorConfig,
) => Applied<unknown>;

/** Every entity operation by name (inputs are shape-checked by core/operationInputs.ts first). */
const OPERATION_TABLE = {
  tryStart: (s, i, now, c) => tryStart(s, i as TryStartInput, now, c),
  confirm: (s, i, now) => confirm(s, i as ConfirmInput, now),
  complete: (s, i, now, c) => complete(s, i as CompleteInput, now, c),
  reconcile: (s, i, now, c) => reconcile(s, i as ReconcileInput, now, c),
  release: (s, i, now, c) => forceRelease(s, (i ?? {}) as ForceReleaseInput, now, c),
  noteAnswer: (s, i) => noteAnswer(s, i as NoteInput),
  pause: (s, i, now) => pause(s, i as PauseInput, now),
  resume: (s, i, now, c) => resume(s, i as ResumeInput, now, c),
  tick: (s, i, now, c) => tick(s, i as TickInput, now, c),
} satisfies Record<string, Operation>;

export type OperationName = keyof typeof OPERATION_TABLE;
export const OPERATIONS = Object.keys(OPERATION_TABLE) as OperationName[];

function isOperation(name: string): name is OperationName {
  return Object.prototype.hasOwnProperty.call(OPERATION_TABLE, name);
}

/** Dispatches one entity operation by name. Throws on an unknown operation or a malformed input. */
export function applyOperation(
  state: JobState,
  operation: string,
  input: unknown,
  now: number,
  config: CoordinatorConfig,
): Applied<unknown> {
  if (!isOperation(operation)) {
    throw new Error(`Unknown operation '${operation}'. Known operations: ${OPERATIONS.join(", ")}.`);
  }
  assertOperationInput(operation, input);
  return OPERATION_TABLE[operation](state, input, now, config);
}
