/**
 * What a starter does for one start request, written against a small client interface so it can be
 * tested without a host: signal the job's entity, wait for the recorded decision by reading entity
 * state (back-off polling), reconcile a holder whose orchestration ended without reporting, and start
 * the orchestration when the decision says so.
 */
import { delays, type BackoffOptions } from "./backoff";
import { findRequest } from "./requestRecords";
import { decisionFromRecord } from "./coordinator";
import type { ActiveRun, Decision, JobState, ObservedStatus, RunEnvelope, TryStartInput } from "./types";

/** Runtime status as the Durable client reports it, or NotFound (never existed or purged). */
export type InstanceStatus =
  | "Pending"
  | "Running"
  | "ContinuedAsNew"
  | "Suspended"
  | "Completed"
  | "Failed"
  | "Terminated"
  | "Canceled"
  | "NotFound";

export interface CoordinatorClient {
  signal(job: string, operation: string, input: unknown): Promise<void>;
  readState(job: string): Promise<JobState | undefined>;
  /** Starts the orchestration; an instance with this id that is already live is not an error. */
  startRun(orchestrator: string, instanceId: string, envelope: RunEnvelope): Promise<void>;
  terminate(instanceId: string, reason: string): Promise<void>;
  instanceStatus(instanceId: string): Promise<InstanceStatus>;
  sleep(ms: number): Promise<void>;
  now(): number;
}

export interface StartOptions {
  waitBudgetMs: number;
  poll: BackoffOptions;
  /** A promoted run still unconfirmed after this long is started again by whoever sees it. */
  redriveAfterMs?: number;
}

export type StartOutcome = Decision | { kind: "timeout"; requestId: string };

const ENDED: ReadonlySet<InstanceStatus> = new Set([
  "Completed",
  "Failed",
  "Terminated",
  "Canceled",
  "NotFound",
]);

export function observedFrom(status: InstanceStatus): ObservedStatus | undefined {
  if (!ENDED.has(status)) return undefined;
  if (status === "Canceled") return "Terminated";
  return status as ObservedStatus;
}

interface Waited {
  decision: Decision;
  state: JobState;
}

async function waitForDecision(
  client: CoordinatorClient,
  job: string,
  requestId: string,
  attempt: number,
  options: StartOptions,
): Promise<Waited | undefined> {
  const check = async (): Promise<Waited | undefined> => {
    const state = await client.readState(job);
    const record = state && findRequest(state.requests, requestId);
    if (!state || !record || record.attempt < attempt) return undefined;
    return { decision: decisionFromRecord(record, state), state };
  };
  const first = await check();
  if (first) return first;
  for (const delay of delays(options.waitBudgetMs, options.poll)) {
    await client.sleep(delay);
    const found = await check();
    if (found) return found;
  }
  return undefined;
}

function holderOf(decision: Decision) {
  return decision.kind === "started" ? undefined : decision.holder;
}

/** Starts the run promoted from the queue if it is still waiting to be started; returns it. */
export async function startPromotedRun(
  client: CoordinatorClient,
  state: JobState,
): Promise<ActiveRun | undefined> {
  const active = state.active;
  if (!active || active.phase !== "starting" || !active.promoted) return undefined;
  const envelope: RunEnvelope = { job: state.job, generation: active.generation };
  if (active.pendingInput !== undefined) envelope.input = active.pendingInput;
  await client.startRun(active.orchestrator, active.instanceId, envelope);
  return active;
}

/** Starts a promoted run nobody seems to be starting (the releasing orchestration's activity normally does). */
async function redrivePromoted(
  client: CoordinatorClient,
  state: JobState,
  ownRequestId: string,
  force: boolean,
  options: StartOptions,
): Promise<void> {
  const active = state.active;
  if (!active || active.requestId === ownRequestId) return;
  if (!force && client.now() - active.acquiredAt < (options.redriveAfterMs ?? 2000)) return;
  await startPromotedRun(client, state);
}

export async function startJob(
  client: CoordinatorClient,
  job: string,
  request: TryStartInput,
  options: StartOptions,
): Promise<StartOutcome> {
  await client.signal(job, "tryStart", request);
  let waited = await waitForDecision(client, job, request.requestId, request.attempt ?? 1, options);
  if (!waited) return { kind: "timeout", requestId: request.requestId };
  let reconciled = false;

  // A confirmed holder only leaves by reporting; if its orchestration ended without a report
  // (terminated, purged, crashed host), reconcile and re-decide this same request.
  const holder = holderOf(waited.decision);
  if (holder && holder.phase === "running" && waited.state.active?.generation === holder.generation) {
    const observed = observedFrom(await client.instanceStatus(holder.instanceId));
    if (observed) {
      const attempt = (request.attempt ?? 1) + 1;
      await client.signal(job, "reconcile", {
        generation: holder.generation,
        observedStatus: observed,
        retry: { ...request, attempt },
      });
      waited = await waitForDecision(client, job, request.requestId, attempt, options);
      if (!waited) return { kind: "timeout", requestId: request.requestId };
      reconciled = true;
    }
  }

  const { decision, state } = waited;
  if (decision.kind === "started") {
    if (decision.replaced) {
      // Best effort here; the new run's orchestration terminates it too before running user code.
      await client
        .terminate(decision.replaced.instanceId, `replaced by generation ${decision.generation}`)
        .catch(() => undefined);
    }
    // Start only while the run still waits to be started (an idempotent retry of a finished run does not restart it).
    if (state.active?.generation === decision.generation && state.active.phase === "starting") {
      const envelope: RunEnvelope = { job, generation: decision.generation };
      if (request.input !== undefined) envelope.input = request.input;
      await client.startRun(request.orchestrator, decision.instanceId, envelope);
    }
  } else {
    await redrivePromoted(client, state, request.requestId, reconciled, options);
  }
  return decision;
}
