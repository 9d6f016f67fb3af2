/**
 * Starting a run's orchestration. Only the holder of the run's start ticket calls this (see
 * `ActiveRun.starter`), so an instance is never started twice by two parties; what remains is the
 * host's view of the instance id:
 * - an activity may run twice (at least once delivery), so activities first check whether the run's
 *   instance already exists (`precheck`);
 * - a fixed instance id (seed route) may still be held by the previous generation for a moment after it
 *   reported completion (its last episode has not finished): wait for it, then start.
 */
import { delays } from "./backoff";
import { runToStartFor } from "./coordinator";
import { LIVE_STATUSES, type CoordinatorClient, type WaitOptions } from "./coordinatorClient";
import type { JobState, RunEnvelope, RunToStart } from "./types";

export type StartRunResult = "started" | "alreadyStarted" | "superseded";

export function envelopeFor(run: RunToStart, input: unknown): RunEnvelope {
  const envelope: RunEnvelope = { job: run.job, generation: run.generation };
  if (input !== undefined) envelope.input = input;
  return envelope;
}

export async function startRunOnce(
  client: CoordinatorClient,
  run: RunToStart,
  input: unknown,
  options: WaitOptions & { precheck: boolean },
): Promise<StartRunResult> {
  if (options.precheck) {
    const info = await client.instance(run.instanceId);
    if (info.status !== "NotFound" && info.generation === run.generation) return "alreadyStarted";
  }
  const envelope = envelopeFor(run, input);
  for (const wait of delays(options.waitBudgetMs, options.poll)) {
    if ((await client.startNew(run.orchestrator, run.instanceId, envelope)) === "started") return "started";
    const info = await client.instance(run.instanceId);
    if (!LIVE_STATUSES.has(info.status)) continue; // it ended in between: start again at once
    if (info.generation === run.generation) return "alreadyStarted";
    // A newer run holds the id: ours was superseded and must not start.
    if (info.generation === undefined || info.generation > run.generation) return "superseded";
    await client.sleep(wait); // an earlier run of this fixed id is finishing its last episode
  }
  throw new Error(
    `Run ${run.generation} of job '${run.job}' could not start: instance '${run.instanceId}' is still held by an earlier run.`,
  );
}

/** Starts the active run if this ticket is its start ticket (a run a reconcile or release promoted). */
export async function startIfTicketHolder(
  client: CoordinatorClient,
  state: JobState,
  ticket: string,
  options: WaitOptions,
): Promise<void> {
  const run = runToStartFor(state, ticket);
  if (run) await startRunOnce(client, run, run.input, { ...options, precheck: false });
}
