/**
 * What a starter does for one start request, written against the `CoordinatorClient` port so the same
 * code runs in the app and in the tests:
 *
 * 1. Read the job's entity state. A standing decision for the request id (a retry) is the answer.
 * 2. Decide the request on that state with the coordinator's own `tryStart`: the starter knows what the
 *    entity would decide. A rejection or a useExisting answer changes nothing, so it is answered at once
 *    (after reconciling a holder whose orchestration ended without reporting) and only counted.
 * 3. A decision that changes the job (start, queue, replace) is signalled as a compare-and-set on the
 *    state's `seq`: the entity decides it only if nothing was decided in between. Read until the request
 *    id has its decision (this request won) or `seq` moved on (another request won: back to step 1 with
 *    the new state).
 * 4. Whoever holds a run's start ticket starts it; nobody else ever does (no instance is started twice).
 * 5. If the budget runs out before the entity answers, the request is handed, with its ticket, to a
 *    follow-up orchestration (core/followUp.ts) and the caller gets `pending`.
 */
import { initialState } from "./boundedState";
import { decisionOf, runToStartFor, standingStart, tryStart } from "./coordinator";
import type { CoordinatorClient, StartOptions } from "./coordinatorClient";
import type { PendingRequest } from "./followUp";
import { FOLLOW_UP_ORCHESTRATOR } from "./names";
import { findStartDecision } from "./requestRecords";
import { followUpInstanceId } from "./runIds";
import { reconcileIfEnded } from "./reconcileHolder";
import { startIfTicketHolder, startRunOnce } from "./startRun";
import type { Decision, JobState, Policy, TryStartInput } from "./types";
import { Waiter } from "./waiter";

export type { CoordinatorClient, InstanceStatus, StartOptions } from "./coordinatorClient";
export { startIfTicketHolder };

export interface StartRequest {
  requestId: string;
  orchestrator: string;
  input?: unknown;
  policy: Policy;
  /** Fixed instance id (seed route). */
  instanceId?: string;
}

export type StartOutcome = Decision | { kind: "pending"; requestId: string; ticket: string };

/** Hands the request to a follow-up orchestration that holds the same ticket (the starter stops here). */
export async function handOff(
  client: CoordinatorClient,
  pending: PendingRequest,
  requestId: string,
  ticket: string,
): Promise<{ kind: "pending"; requestId: string; ticket: string }> {
  await client.startNew(FOLLOW_UP_ORCHESTRATOR, followUpInstanceId(pending.job, requestId, ticket), pending);
  return { kind: "pending", requestId, ticket };
}

async function answerStanding(
  client: CoordinatorClient,
  request: StartRequest,
  decision: Decision,
  state: JobState,
  ticket: string,
  options: StartOptions,
): Promise<Decision> {
  const run = runToStartFor(state, ticket);
  if (decision.kind === "started" && run?.generation === decision.generation) {
    if (decision.replaced) {
      // Best effort here; the new run's orchestration terminates it too before running user code.
      await client
        .terminate(decision.replaced.instanceId, `replaced by generation ${decision.generation}`)
        .catch(() => undefined);
    }
    await startRunOnce(client, run, request.input, { ...options, precheck: false });
  }
  return decision;
}

export async function startJob(
  client: CoordinatorClient,
  job: string,
  request: StartRequest,
  options: StartOptions,
): Promise<StartOutcome> {
  const ticket = client.newTicket();
  const waiter = new Waiter(client, job, options);
  let state = (await client.readState(job)) ?? initialState(job);
  const req: TryStartInput = { ...request, starter: ticket };
  if (request.policy === "replace") req.replaceUpTo = state.generation;
  const pending: PendingRequest = { kind: "start", job, request: req };
  const reconciled = new Set<number>();
  // Set when the entity decided this request without the outcome predicted here (it saw the holder's lease
  // as running while this starter's clock said it had ended): from then on, predict with the entity's view.
  let leaseStillHeld = false;

  // The time to decide at: this starter's clock, or, once the entity showed it sees the holder's lease still
  // running, just before that lease ends. The standing decision and the prediction use the same one: a
  // prediction that finds a standing decision changes nothing in the entity, and signalling it would spin.
  const nowFor = (s: JobState) =>
    leaseStillHeld && s.active ? Math.min(client.now(), s.active.leaseUntil - 1) : client.now();

  for (;;) {
    const now = nowFor(state);
    const standing = standingStart(state, request.requestId, ticket, now);
    if (standing && standing.awaitingStartUntil === undefined) {
      return answerStanding(client, request, decisionOf(standing), state, ticket, options);
    }
    if (standing) {
      // A retry whose run another party must start (its starter may have died): "started" only once the run
      // confirms; if its lease ends first, the request is decided afresh (the loop finds no standing decision).
      const next = await waiter.untilStartSettles((s) =>
        standingStart(s, request.requestId, ticket, nowFor(s)),
      );
      if (!next) return handOff(client, pending, request.requestId, ticket);
      state = next;
      continue;
    }

    const seq = state.seq;
    const predicted = tryStart(state, { ...req, expectSeq: seq }, now, options.config).answer;
    if (predicted.kind === "outdated")
      throw new Error("unreachable: the prediction uses the state's own seq");

    // A confirmed holder only leaves by reporting; if its orchestration ended without a report
    // (terminated, purged, crashed host), reconcile it, then decide again on the new state.
    const holder = predicted.kind === "started" ? undefined : predicted.holder;
    if (holder && holder.phase === "running" && !reconciled.has(holder.generation)) {
      reconciled.add(holder.generation);
      const result = await reconcileIfEnded(client, job, holder, ticket, waiter, options);
      if (result.kind === "timedOut") {
        return handOff(client, { ...pending, reconcile: result.reconcile }, request.requestId, ticket);
      }
      if (result.kind === "reconciled") {
        state = result.state;
        continue;
      }
    }

    if (predicted.kind === "started" || predicted.kind === "queued") {
      // A decision recorded before this signal (a run this starter's clock takes for abandoned) is no answer to
      // it: the entity may still see that run's lease running and answer with it, changing nothing.
      const recordedBefore = findStartDecision(state, request.requestId) !== undefined;
      await client.signal(job, "tryStart", { ...req, expectSeq: seq });
      const next = await waiter.until(
        (s) => s.seq > seq || (!recordedBefore && findStartDecision(s, request.requestId) !== undefined),
      );
      if (!next) return handOff(client, pending, request.requestId, ticket);
      // Decided at our seq, not recorded, same holder: the entity saw the holder's lease running.
      if (next.seq === seq + 1 && next.active && next.active.generation === state.active?.generation) {
        leaseStillHeld = true;
      }
      state = next;
      continue;
    }
    // The answer stands whether or not it is counted.
    await client.signal(job, "noteAnswer", { answer: predicted.kind }).catch(() => undefined);
    return predicted;
  }
}
