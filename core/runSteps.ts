/**
 * The life of one execution of a singleton run, as a generator of steps: the orchestration wrapper
 * (orchestrators/singleton.ts) turns each step into a Durable task, and the protocol property test drives
 * the very same generator in its model, so the two cannot drift.
 *
 * confirm (before any user code) -> superseded: end without user code
 *                                -> holder: terminate replaced runs -> user code -> complete -> start the
 *                                   run promoted from the queue (this execution holds its start ticket)
 * An execution that continues as new keeps the lock and reports nothing; its next execution confirms.
 */
import { errorSummary, outputSummary } from "./summary";
import type { CompleteInput, ConfirmAnswer, ReleaseAnswer, RunEnvelope, RunToStart } from "./types";

export type RunStep =
  | { kind: "confirm"; input: { generation: number; instanceId: string; cycle: number } }
  | { kind: "terminate"; instanceId: string; reason: string }
  | { kind: "userCode" }
  | { kind: "complete"; input: CompleteInput }
  | { kind: "startRun"; run: RunToStart };

/** What the user's code did, fed back after a `userCode` step. */
export type UserCodeOutcome =
  { ok: true; value: unknown; continuedAsNew: boolean } | { ok: false; error: unknown };

export type RunEnd =
  | { kind: "superseded"; output: { superseded: true; job: string; generation: number } }
  | { kind: "returned"; value: unknown }
  | { kind: "threw"; error: unknown };

export function* runSteps(envelope: RunEnvelope, instanceId: string): Generator<RunStep, RunEnd, unknown> {
  const { job, generation } = envelope;
  const cycle = envelope.cycle ?? 0;
  const answer = (yield { kind: "confirm", input: { generation, instanceId, cycle } }) as ConfirmAnswer;
  if (answer.status !== "holder") {
    return { kind: "superseded", output: { superseded: true, job, generation } };
  }
  // Replaced runs that may still be executing are terminated before any user code runs.
  for (const replaced of answer.terminate ?? []) {
    yield {
      kind: "terminate",
      instanceId: replaced.instanceId,
      reason: `replaced by generation ${generation} of job '${job}'`,
    };
  }
  const outcome = (yield { kind: "userCode" }) as UserCodeOutcome;
  if (outcome.ok && outcome.continuedAsNew) return { kind: "returned", value: outcome.value };
  const summary = outcome.ok ? outputSummary(outcome.value) : errorSummary(outcome.error);
  const report: CompleteInput = {
    generation,
    outcome: outcome.ok ? "completed" : "failed",
    starter: instanceId,
  };
  if (summary !== undefined) report.summary = summary;
  const released = (yield { kind: "complete", input: report }) as ReleaseAnswer;
  if (released.promoted) yield { kind: "startRun", run: released.promoted };
  return outcome.ok ? { kind: "returned", value: outcome.value } : { kind: "threw", error: outcome.error };
}
