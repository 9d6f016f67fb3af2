/**
 * What the admin release endpoint does, against the `CoordinatorClient` port: read the job, signal
 * `release` for the run it saw (a later run is never released by a late signal), and read until the
 * release is recorded or that run has ended on its own (a release racing the run's completion answers
 * at once either way). The released run is terminated (it may be hung, and it must not run beside the next
 * one), and a run the release promoted from the queue is started by this caller, which holds its start
 * ticket. When the budget runs out, the request goes to a follow-up orchestration (`pending`).
 */
import { type CoordinatorClient, type StartOptions } from "./coordinatorClient";
import type { ReleaseResult } from "./followUp";
import { findRelease } from "./requestRecords";
import { handOff, startIfTicketHolder } from "./startJob";
import type { FinishedRun } from "./types";
import { Waiter } from "./waiter";

export type ReleaseOutcome =
  | { kind: "unknownJob" }
  | { kind: "notHeld"; generation?: number; lastFinished?: FinishedRun }
  | Extract<ReleaseResult, { kind: "released" }>
  | { kind: "pending"; requestId: string; ticket: string };

export async function releaseJob(
  client: CoordinatorClient,
  job: string,
  request: { requestId: string; reason: string },
  options: StartOptions,
): Promise<ReleaseOutcome> {
  const before = await client.readState(job);
  if (!before) return { kind: "unknownJob" };
  const done = findRelease(before, request.requestId);
  if (done) return { kind: "released", released: done };
  const held = before.active;
  if (!held)
    return { kind: "notHeld", ...(before.lastFinished ? { lastFinished: before.lastFinished } : {}) };

  const ticket = client.newTicket();
  const release = { ...request, generation: held.generation, starter: ticket };
  await client.signal(job, "release", release);
  const state = await new Waiter(client, job, options).until(
    (s) => findRelease(s, request.requestId) !== undefined || s.active?.generation !== held.generation,
  );
  if (!state) return handOff(client, { kind: "release", job, release }, request.requestId, ticket);
  const released = findRelease(state, request.requestId);
  if (!released) {
    // The run ended on its own before the release arrived; the late signal will change nothing.
    const last =
      state.lastFinished?.generation === held.generation ? { lastFinished: state.lastFinished } : {};
    return { kind: "notHeld", generation: held.generation, ...last };
  }
  // Best effort here; if it had confirmed, the next run to confirm terminates it too before its user code.
  await client.terminate(released.instanceId, `released: ${request.reason}`).catch(() => undefined);
  const promoted = state.active?.starter === ticket ? state.active : undefined;
  await startIfTicketHolder(client, state, ticket, options);
  return promoted
    ? {
        kind: "released",
        released,
        promoted: { generation: promoted.generation, instanceId: promoted.instanceId },
      }
    : { kind: "released", released };
}
