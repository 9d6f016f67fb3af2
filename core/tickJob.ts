/**
 * What a schedule's timer does when it fires, written against the `CoordinatorClient` port (the timer
 * binding in starters/schedules.ts calls `fireSchedule`; the tests drive the same code):
 *
 * 1. The firing stands for one scheduled time T (core/cronSchedule.ts `scheduledTimeOf`), the same for
 *    every firing for it: a second host after a failover, a retried timer, a restart.
 * 2. Read the job's state and decide the tick on it with the coordinator's own `tick`. A tick for T (or a
 *    later time) was decided already: a duplicate, nothing to signal.
 * 3. A holder that refuses (or queues) the tick but whose orchestration ended without reporting is
 *    reconciled first, as the HTTP starter does.
 * 4. Every other tick changes the job (it is recorded, whatever it decides), so it is signalled as a
 *    compare-and-set on `seq`; read until the job has seen T (decided) or `seq` moved on (decide again).
 * 5. Whoever holds the run's start ticket starts it. Out of budget: a follow-up orchestration finishes it.
 * 6. A firing that does not hold the ticket of the tick's run (a twin decided the time first, or this one is
 *    a duplicate) tells that run as started only once it confirmed, as a retried start request does: the
 *    twin may die before starting it. It waits for the confirm within its budget, and otherwise says until
 *    when the run waits for its start (`awaitingStartUntil`), or that it was given up (`abandoned`).
 */
import { initialState } from "./boundedState";
import { runToStartFor, tick, tickRequestId } from "./coordinator";
import type { CoordinatorClient, StartOptions } from "./coordinatorClient";
import { scheduledTimeOf } from "./cronSchedule";
import { reconcileIfEnded } from "./reconcileHolder";
import type { Schedule } from "./schedules";
import { handOff } from "./startJob";
import { startRunOnce } from "./startRun";
import type { MissedTicks, TickTime } from "./tickPlan";
import type { Decision, JobState, RunRef, TickInput, TickOutcome } from "./types";
import { Waiter } from "./waiter";

export type TickResult =
  | {
      /** `decided`: the tick was decided on the state this firing read; `duplicate`: before it. */
      kind: "decided" | "duplicate";
      scheduledAt: number;
      /** How the tick for this time ended (unknown for a duplicate of an older time). */
      outcome?: TickOutcome;
      catchUp?: boolean;
      /** The run the tick's request id got, if any (a run started: it exists, it was confirmed or this firing started it). */
      decision?: Decision;
      /**
       * The tick's run waits for its start by the firing holding its ticket, which did not confirm it within
       * this firing's budget (it may have died): given up if unconfirmed at this time.
       */
      awaitingStartUntil?: number;
      /** The tick's run never confirmed and its lease ended: given up, no run for this time. */
      abandoned?: true;
      /** The run this firing started (it held the run's start ticket). */
      startedRun?: RunRef;
      missed?: MissedTicks;
    }
  /** The job never saw a tick and this one is late: the schedule began after it (nothing is recorded). */
  | { kind: "notDue"; scheduledAt: number }
  | { kind: "pending"; scheduledAt: number; requestId: string; ticket: string };

/** The coordinator's `tick` input for a schedule's firing. */
export function tickInputOf(schedule: Schedule, time: TickTime): TickInput {
  const input: TickInput = {
    scheduledAt: time.scheduledAt,
    firedAt: time.firedAt,
    orchestrator: schedule.orchestrator,
    overlap: schedule.overlap,
    cron: schedule.schedule,
    timeZone: schedule.timeZone,
    catchUpWindowMs: schedule.catchUpWindowMs,
  };
  if (time.pastDue) input.pastDue = true;
  if (schedule.input !== undefined) input.input = schedule.input;
  return input;
}

/** Starts the run whose start ticket is this firing's: its own (the replaced run terminated first) or a promoted one. */
async function startTicketRun(
  client: CoordinatorClient,
  state: JobState,
  ticket: string,
  schedule: Schedule,
  requestId: string,
  options: StartOptions,
): Promise<RunRef | undefined> {
  const run = runToStartFor(state, ticket);
  if (!run) return undefined;
  const own = run.requestId === requestId;
  // A run displaced before it confirmed is still started (and superseded at its confirm), but replaces nothing.
  const replaced = own && state.active?.generation === run.generation ? state.active.replaces : undefined;
  if (replaced) {
    // Best effort here; the new run's orchestration terminates it too before running user code.
    await client
      .terminate(
        replaced.instanceId,
        `replaced by generation ${run.generation} (schedule '${schedule.name}')`,
      )
      .catch(() => undefined);
  }
  await startRunOnce(client, run, own ? schedule.input : run.input, { ...options, precheck: false });
  return { generation: run.generation, instanceId: run.instanceId };
}

/** Decides one tick of `schedule` for its scheduled time, and starts the run it gets if this firing holds its ticket. */
export async function tickJob(
  client: CoordinatorClient,
  schedule: Schedule,
  time: TickTime,
  options: StartOptions,
): Promise<TickResult> {
  const job = schedule.name;
  const at = time.scheduledAt;
  const requestId = tickRequestId(at);
  const ticket = client.newTicket();
  const input = { ...tickInputOf(schedule, time), starter: ticket };
  const waiter = new Waiter(client, job, options);
  const reconciled = new Set<number>();
  let state = (await client.readState(job)) ?? initialState(job);
  let missed: MissedTicks | undefined;

  /** The standing answer for this time on a state that has seen it (the coordinator's duplicate tick). */
  const standingOn = (s: JobState) => {
    const answer = tick(s, input, client.now(), options.config).answer;
    if (answer.kind !== "duplicate") throw new Error("unreachable: the job has seen this tick's time");
    return answer;
  };

  const result = async (kind: "decided" | "duplicate", decidedOn: JobState): Promise<TickResult> => {
    const done: TickResult = { kind, scheduledAt: at };
    if (decidedOn.ticks?.last === at) {
      done.outcome = decidedOn.ticks.outcome;
      done.catchUp = decidedOn.ticks.catchUp === true;
    }
    if (kind === "decided" && missed) done.missed = missed;
    const started = await startTicketRun(client, decidedOn, ticket, schedule, requestId, options);
    if (started) done.startedRun = started;
    let standing = standingOn(decidedOn);
    if (standing.awaitingStartUntil !== undefined) {
      // Another firing holds the run's start ticket: "started" once the run confirms (or given up at its lease).
      const next = await waiter.untilStartSettles(standingOn);
      if (next) standing = standingOn(next);
    }
    if (standing.decision) done.decision = standing.decision;
    if (standing.awaitingStartUntil !== undefined) done.awaitingStartUntil = standing.awaitingStartUntil;
    if (standing.abandoned) done.abandoned = true;
    return done;
  };

  for (;;) {
    const seq = state.seq;
    const predicted = tick(state, { ...input, expectSeq: seq }, client.now(), options.config).answer;
    if (predicted.kind === "outdated")
      throw new Error("unreachable: the prediction uses the state's own seq");
    if (predicted.kind === "duplicate") return result("duplicate", state);
    if (predicted.kind === "notDue") return { kind: "notDue", scheduledAt: at };
    missed = predicted.missed;

    const holder =
      predicted.decision && predicted.decision.kind !== "started" ? predicted.decision.holder : undefined;
    if (holder && holder.phase === "running" && !reconciled.has(holder.generation)) {
      reconciled.add(holder.generation);
      const reconcile = await reconcileIfEnded(client, job, holder, ticket, waiter, options);
      if (reconcile.kind === "timedOut") {
        const pending = await handOff(
          client,
          { kind: "tick", job, tick: input, reconcile: reconcile.reconcile },
          requestId,
          ticket,
        );
        return { ...pending, scheduledAt: at };
      }
      if (reconcile.kind === "reconciled") {
        state = reconcile.state;
        continue;
      }
    }

    await client.signal(job, "tick", { ...input, expectSeq: seq });
    const next = await waiter.until((s) => s.seq > seq || (s.ticks?.last ?? -Infinity) >= at);
    if (!next) {
      const pending = await handOff(client, { kind: "tick", job, tick: input }, requestId, ticket);
      return { ...pending, scheduledAt: at };
    }
    // Decided at the seq this firing read: by its own signal, or by a twin's for the same time (the same
    // state and input give the same decision; only the run's start ticket tells them apart).
    if (next.seq === seq + 1 && next.ticks?.last === at) return result("decided", next);
    state = next;
  }
}

/** A schedule's timer fired at `firedAt`: the tick for the occurrence that firing stands for. */
export function fireSchedule(
  client: CoordinatorClient,
  schedule: Schedule,
  firedAt: number,
  pastDue: boolean,
  options: StartOptions,
): Promise<TickResult> {
  const scheduledAt = scheduledTimeOf({ cron: schedule.schedule, timeZone: schedule.timeZone }, firedAt);
  return tickJob(client, schedule, { scheduledAt, firedAt, pastDue }, options);
}
