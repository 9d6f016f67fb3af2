/**
 * The job coordinator's decisions as pure functions: state in, state and answer out, time passed in.
 * The entity (entities/jobCoordinator.ts) is a thin binding that stores the state and returns the answer.
 */
import { MAX_QUEUE_LIMIT, pushEvent, summarize, truncate, MAX_DETAIL_CHARS } from "./boundedState";
import { assertOperationInput } from "./operationInputs";
import { findRequest, pushRequest, type RequestDecision } from "./requestRecords";
import type {
  ActiveRun,
  CompleteInput,
  ConfirmAnswer,
  ConfirmInput,
  CoordinatorConfig,
  Decision,
  FinishedRun,
  ForceReleaseInput,
  HolderInfo,
  JobState,
  Outcome,
  PromotedRun,
  ReconcileInput,
  ReleaseAnswer,
  DecisionCode,
  TryStartInput,
} from "./types";

export interface Applied<A> {
  state: JobState;
  answer: A;
}

export function instanceIdFor(job: string, generation: number, fixed?: string): string {
  return fixed || `${job}:${generation}`;
}

/** The instance id as stored in a request record: "" when it is the derived `<job>:<generation>`. */
function storedInstanceId(job: string, generation: number, instanceId: string): string {
  return instanceId === instanceIdFor(job, generation) ? "" : instanceId;
}

function holderOf(active: ActiveRun): HolderInfo {
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

/** Rebuilds the decision recorded for a request id (idempotent retries get the same answer). */
export function decisionFromRecord(record: RequestDecision, state: JobState): Decision {
  const { requestId, code, generation, fixedInstanceId: fixed } = record;
  const instanceId = instanceIdFor(state.job, generation, fixed);
  // Details that are not kept per request come from today's state while they are still there.
  const active = state.active?.generation === generation ? state.active : undefined;
  if (code === "started") {
    return active?.replaces
      ? { kind: "started", generation, instanceId, replaced: active.replaces }
      : { kind: "started", generation, instanceId };
  }
  const holder: HolderInfo = {
    generation,
    instanceId,
    phase: active?.phase ?? "running",
    orchestrator: active?.orchestrator ?? "",
  };
  if (code === "existing") return { kind: "existing", holder };
  if (code === "queued") {
    return { kind: "queued", position: state.queue.findIndex((q) => q.requestId === requestId) + 1, holder };
  }
  return { kind: "rejected", holder, reason: code === "queueFull" ? "queueFull" : "held" };
}

/** Drops an unconfirmed holder whose lease ran out, recording it as abandoned. */
function expireLease(state: JobState, now: number): JobState {
  const active = state.active;
  if (!active || !leaseExpired(active, now)) return state;
  return {
    ...state,
    active: undefined,
    lastFinished: finish(active, "abandoned", now, "lease expired before the orchestration confirmed"),
    counters: { ...state.counters, leaseExpired: state.counters.leaseExpired + 1 },
    events: pushEvent(state.events, now, "leaseExpired", active.generation, active.requestId),
  };
}

function accept(
  state: JobState,
  req: TryStartInput,
  now: number,
  config: CoordinatorConfig,
  pendingInput?: { input: unknown },
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
  if (pendingInput && pendingInput.input !== undefined) active.pendingInput = pendingInput.input;
  return {
    active,
    state: {
      ...state,
      generation,
      active,
      counters: { ...state.counters, accepted: state.counters.accepted + 1 },
      events: pushEvent(state.events, now, "accepted", generation),
    },
  };
}

function record(
  state: JobState,
  req: TryStartInput,
  code: DecisionCode,
  generation: number,
  instanceId: string,
): JobState {
  return {
    ...state,
    requests: pushRequest(state.requests, {
      requestId: req.requestId,
      code,
      generation,
      fixedInstanceId: storedInstanceId(state.job, generation, instanceId),
      attempt: req.attempt ?? 1,
    }),
  };
}

/** Accepts `req` as the new active run and records the "started" decision under its request id. */
function acceptAndRecord(
  state: JobState,
  req: TryStartInput,
  now: number,
  config: CoordinatorConfig,
  replaced?: { generation: number; instanceId: string },
): Applied<Decision> {
  const { state: accepted, active } = accept(state, req, now, config);
  if (replaced) active.replaces = replaced;
  const answer: Decision = { kind: "started", generation: active.generation, instanceId: active.instanceId };
  if (replaced) answer.replaced = replaced;
  return { state: record(accepted, req, "started", active.generation, active.instanceId), answer };
}

/**
 * Whether a request id's recorded decision stands for a request at `attempt`. A later attempt (a
 * reconcile-and-retry) may re-decide a rejection or a useExisting answer, but never a request that got its
 * run or is still waiting in the queue: re-deciding those could give one request two runs.
 */
function decisionStands(record: RequestDecision, attempt: number, state: JobState): boolean {
  if (record.attempt >= attempt) return true;
  if (record.code === "started") return true;
  return record.code === "queued" && state.queue.some((q) => q.requestId === record.requestId);
}

export function tryStart(
  state0: JobState,
  req: TryStartInput,
  now: number,
  config: CoordinatorConfig,
): Applied<Decision> {
  const previous = findRequest(state0.requests, req.requestId);
  const attempt = req.attempt ?? 1;
  if (previous && decisionStands(previous, attempt, state0)) {
    const answer = decisionFromRecord(previous, state0);
    if (attempt <= previous.attempt) return { state: state0, answer };
    // A newer attempt that cannot change the decision: record that it was seen, so that the starter
    // waiting for this attempt's answer (after its reconcile) gets it.
    return { state: { ...state0, requests: pushRequest(state0.requests, { ...previous, attempt }) }, answer };
  }
  let state = expireLease(state0, now);
  const active = state.active;
  if (!active) return acceptAndRecord(state, req, now, config);
  const holder = holderOf(active);
  const c = state.counters;
  switch (req.policy) {
    case "useExisting":
      state = { ...state, counters: { ...c, existing: c.existing + 1 } };
      state = record(state, req, "existing", holder.generation, holder.instanceId);
      return { state, answer: { kind: "existing", holder } };
    case "replace": {
      const replaced = { generation: active.generation, instanceId: active.instanceId };
      // Only a confirmed run may be executing user code; an unconfirmed one is superseded if it ever starts.
      const toTerminate =
        active.phase === "running" ? [...(state.toTerminate ?? []), replaced] : state.toTerminate;
      state = {
        ...state,
        ...(toTerminate ? { toTerminate } : {}),
        active: undefined,
        lastFinished: finish(active, "replaced", now, `replaced by request ${req.requestId}`),
        counters: { ...c, replaced: c.replaced + 1 },
        events: pushEvent(state.events, now, "replaced", active.generation, req.requestId),
      };
      return acceptAndRecord(state, req, now, config, replaced);
    }
    case "queue": {
      const limit = Math.min(config.maxQueue, MAX_QUEUE_LIMIT);
      if (state.queue.length < limit) {
        const queued = { requestId: req.requestId, orchestrator: req.orchestrator, queuedAt: now } as {
          requestId: string;
          orchestrator: string;
          queuedAt: number;
          input?: unknown;
          instanceId?: string;
        };
        if (req.input !== undefined) queued.input = req.input;
        if (req.instanceId !== undefined) queued.instanceId = req.instanceId;
        state = {
          ...state,
          queue: [...state.queue, queued],
          counters: { ...c, queued: c.queued + 1 },
          events: pushEvent(state.events, now, "queued", holder.generation, req.requestId),
        };
        state = record(state, req, "queued", holder.generation, holder.instanceId);
        return { state, answer: { kind: "queued", position: state.queue.length, holder } };
      }
      state = {
        ...state,
        counters: { ...c, rejected: c.rejected + 1 },
        events: pushEvent(state.events, now, "queueFull", holder.generation, req.requestId),
      };
      state = record(state, req, "queueFull", holder.generation, holder.instanceId);
      return { state, answer: { kind: "rejected", holder, reason: "queueFull" } };
    }
    case "reject":
    default:
      state = { ...state, counters: { ...c, rejected: c.rejected + 1 } };
      state = record(state, req, "rejected", holder.generation, holder.instanceId);
      return { state, answer: { kind: "rejected", holder, reason: "held" } };
  }
}

export function confirm(state: JobState, input: ConfirmInput, now: number): Applied<ConfirmAnswer> {
  const active = state.active;
  const cycle = input.cycle ?? 0;
  if (active && active.generation === input.generation && active.instanceId === input.instanceId) {
    if (active.phase === "running") {
      // Each execution confirms once: the next cycle after a continueAsNew keeps the lock, while a second
      // execution of a cycle that already confirmed (a duplicate start of the same run, e.g. a retried starter
      // after the first execution was terminated) is superseded and must not run user code again.
      if (cycle > (active.cycle ?? 0)) {
        return { state: { ...state, active: { ...active, cycle } }, answer: { status: "holder" } };
      }
    } else {
      const running: ActiveRun = { ...active, phase: "running", confirmedAt: now, cycle };
      delete running.pendingInput;
      delete running.replaces;
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
  return {
    state: {
      ...state,
      counters: { ...state.counters, superseded: state.counters.superseded + 1 },
      events: pushEvent(state.events, now, "superseded", input.generation, input.instanceId),
    },
    answer,
  };
}

/** Promotes the head of the queue to a new `starting` run, if there is one and no holder. */
function promote(state: JobState, now: number, config: CoordinatorConfig): Applied<PromotedRun | undefined> {
  const [head, ...rest] = state.queue;
  if (!head || state.active) return { state, answer: undefined };
  const req: TryStartInput = {
    requestId: head.requestId,
    orchestrator: head.orchestrator,
    policy: "queue",
    ...(head.instanceId !== undefined ? { instanceId: head.instanceId } : {}),
  };
  const accepted = accept({ ...state, queue: rest }, req, now, config, { input: head.input });
  const a = accepted.active;
  a.promoted = true;
  // The queued request's record now points at its own run.
  const s = {
    ...accepted.state,
    events: pushEvent(accepted.state.events, now, "promoted", a.generation, head.requestId),
    requests: pushRequest(accepted.state.requests, {
      requestId: head.requestId,
      code: "started",
      generation: a.generation,
      fixedInstanceId: storedInstanceId(state.job, a.generation, a.instanceId),
      // Keep the attempt a starter may be waiting for (it queued this request after a reconcile).
      attempt: findRequest(state.requests, head.requestId)?.attempt ?? 1,
    }),
  };
  const promoted: PromotedRun = {
    job: state.job,
    generation: a.generation,
    instanceId: a.instanceId,
    orchestrator: a.orchestrator,
  };
  if (head.input !== undefined) promoted.input = head.input;
  return { state: s, answer: promoted };
}

function releaseActive(
  state: JobState,
  outcome: Outcome,
  now: number,
  config: CoordinatorConfig,
  counter: "completed" | "failed" | "reconciled" | "released",
  summary?: string,
): Applied<ReleaseAnswer> {
  const active = state.active as ActiveRun;
  const released: JobState = {
    ...state,
    active: undefined,
    lastFinished: finish(active, outcome, now, summary),
    counters: { ...state.counters, [counter]: state.counters[counter] + 1 },
    events: pushEvent(
      state.events,
      now,
      outcome,
      active.generation,
      summary && truncate(summary, MAX_DETAIL_CHARS),
    ),
  };
  const promoted = promote(released, now, config);
  const answer: ReleaseAnswer = { released: true };
  if (promoted.answer) answer.promoted = promoted.answer;
  return { state: promoted.state, answer };
}

function stale(state: JobState, now: number, what: string, generation: number): Applied<ReleaseAnswer> {
  return {
    state: {
      ...state,
      counters: { ...state.counters, stale: state.counters.stale + 1 },
      events: pushEvent(state.events, now, `stale:${what}`, generation),
    },
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
  return releaseActive(state, input.outcome, now, config, counter, summarize(input.summary));
}

export function reconcile(
  state0: JobState,
  input: ReconcileInput,
  now: number,
  config: CoordinatorConfig,
): Applied<ReleaseAnswer & { decision?: Decision }> {
  let result: Applied<ReleaseAnswer & { decision?: Decision }>;
  const active = state0.active;
  if (active?.generation !== input.generation) {
    result = stale(state0, now, "reconcile", input.generation);
  } else if (active.phase === "starting" && !leaseExpired(active, now)) {
    // An unconfirmed run may simply not have started yet (or an older run's instance with the same
    // fixed id was observed): only its lease decides.
    result = { state: state0, answer: { released: false, reason: "starting" } };
  } else {
    const outcome: Outcome =
      input.observedStatus === "Completed"
        ? "completed"
        : input.observedStatus === "Failed"
          ? "failed"
          : input.observedStatus === "Terminated"
            ? "terminated"
            : "purged";
    result = releaseActive(state0, outcome, now, config, "reconciled", `observed ${input.observedStatus}`);
  }
  if (!input.retry) return result;
  const retried = tryStart(result.state, { ...input.retry, attempt: input.retry.attempt ?? 2 }, now, config);
  return { state: retried.state, answer: { ...result.answer, decision: retried.answer } };
}

export function forceRelease(
  state: JobState,
  input: ForceReleaseInput,
  now: number,
  config: CoordinatorConfig,
): Applied<ReleaseAnswer> {
  if (!state.active) return { state, answer: { released: false, reason: "noHolder" } };
  return releaseActive(state, "released", now, config, "released", input.reason ?? "admin release");
}

export const OPERATIONS = ["tryStart", "confirm", "complete", "reconcile", "release"] as const;
export type OperationName = (typeof OPERATIONS)[number];

/** Dispatches one entity operation by name. Throws on an unknown operation name. */
export function applyOperation(
  state: JobState,
  operation: string,
  input: unknown,
  now: number,
  config: CoordinatorConfig,
): Applied<unknown> {
  assertOperationInput(operation, input);
  switch (operation) {
    case "tryStart":
      return tryStart(state, input as TryStartInput, now, config);
    case "confirm":
      return confirm(state, input as ConfirmInput, now);
    case "complete":
      return complete(state, input as CompleteInput, now, config);
    case "reconcile":
      return reconcile(state, input as ReconcileInput, now, config);
    case "release":
      return forceRelease(state, (input ?? {}) as ForceReleaseInput, now, config);
    default:
      throw new Error(`Unknown operation '${operation}'. Known operations: ${OPERATIONS.join(", ")}.`);
  }
}
