/**
 * What the admin pause and resume endpoints do, against the `CoordinatorClient` port, with the start
 * protocol's compare-and-set (core/startJob.ts): read the job, decide the request on that state with the
 * coordinator's own `pause` / `resume`; an answer that changes nothing (already paused, not paused) is
 * given from the read; a change is signalled with the `seq` it was decided on and read back until the
 * request's record appears (applied) or `seq` moved on (decide again on the new state). When the budget
 * runs out the request goes to a follow-up orchestration (`pending`), which decides it exactly once.
 *
 * A resume may promote the head of the queue (the holder finished while the job was paused): the resuming
 * caller holds that run's start ticket and starts it, as an admin release does.
 */
import { pause, resume } from "./coordinator";
import type { StartOptions } from "./coordinatorClient";
import type { PauseResult, ResumeResult } from "./followUp";
import { pausedBy, resumedBy } from "./requestRecords";
import { handOff, startIfTicketHolder, type CoordinatorClient } from "./startJob";
import type { JobState } from "./types";
import { Waiter } from "./waiter";

type Pending = { kind: "pending"; requestId: string; ticket: string };
export type PauseOutcome = { kind: "unknownJob" } | PauseResult | Pending;
export type ResumeOutcome = { kind: "unknownJob" } | ResumeResult | Pending;

export interface ControlRequest {
  requestId: string;
  /** Who asks (recorded in the job's events). */
  by: string;
}

export async function pauseJob(
  client: CoordinatorClient,
  job: string,
  request: ControlRequest & { reason?: string },
  options: StartOptions,
): Promise<PauseOutcome> {
  let state = await client.readState(job);
  if (!state) return { kind: "unknownJob" };
  const waiter = new Waiter(client, job, options);
  for (;;) {
    const seq = state.seq;
    const predicted = pause(state, { ...request, expectSeq: seq }, client.now()).answer;
    if (predicted.kind === "outdated")
      throw new Error("unreachable: the prediction uses the state's own seq");
    // Applied already (a record of this request), or paused by someone else: nothing to signal.
    if (predicted.kind === "alreadyPaused" || pausedBy(state, request.requestId)) return predicted;
    await client.signal(job, "pause", { ...request, expectSeq: seq });
    const next = await waiter.until((s) => s.seq > seq || pausedBy(s, request.requestId));
    if (!next) {
      return handOff(client, { kind: "pause", job, pause: request }, request.requestId, client.newTicket());
    }
    state = next;
  }
}

/** The run this resume promoted, when its ticket is the run's start ticket. */
function promotedBy(state: JobState, ticket: string): ResumeResult {
  const a = state.active;
  return a?.starter === ticket
    ? { kind: "resumed", promoted: { generation: a.generation, instanceId: a.instanceId } }
    : { kind: "resumed" };
}

export async function resumeJob(
  client: CoordinatorClient,
  job: string,
  request: ControlRequest,
  options: StartOptions,
): Promise<ResumeOutcome> {
  let state = await client.readState(job);
  if (!state) return { kind: "unknownJob" };
  const ticket = client.newTicket();
  const input = { ...request, starter: ticket };
  const waiter = new Waiter(client, job, options);
  for (;;) {
    if (resumedBy(state, request.requestId)) {
      const result = promotedBy(state, ticket);
      await startIfTicketHolder(client, state, ticket, options);
      return result;
    }
    const seq = state.seq;
    const predicted = resume(state, { ...input, expectSeq: seq }, client.now(), options.config).answer;
    if (predicted.kind === "outdated")
      throw new Error("unreachable: the prediction uses the state's own seq");
    if (predicted.kind === "notPaused") return predicted;
    await client.signal(job, "resume", { ...input, expectSeq: seq });
    const next = await waiter.until((s) => s.seq > seq || resumedBy(s, request.requestId));
    if (!next) return handOff(client, { kind: "resume", job, resume: input }, request.requestId, ticket);
    state = next;
  }
}
