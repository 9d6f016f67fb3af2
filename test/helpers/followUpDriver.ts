/** Drives the follow-up steps (core/followUp.ts) against a FakeCoordinator, as the orchestration would. */
import {
  followUpSteps,
  type FollowUpResult,
  type FollowUpStep,
  type PendingRequest,
} from "../../core/followUp";
import { startRunOnce } from "../../core/startRun";
import type { FakeCoordinator, FakeInstance } from "./fakeCoordinatorClient";

const waits = { waitBudgetMs: 50, poll: { initialMs: 1, maxMs: 4, factor: 2 } };

/** `onStep` sees each step before it is carried out (a test can change the world meanwhile). */
export async function runFollowUp(
  fake: FakeCoordinator,
  pending: PendingRequest,
  onStep?: (step: FollowUpStep) => void,
): Promise<FollowUpResult> {
  const client = fake.client();
  const steps = followUpSteps(pending);
  let feed: unknown = undefined;
  for (;;) {
    const next = steps.next(feed);
    if (next.done) return next.value;
    const step = next.value;
    onStep?.(step);
    if (step.kind === "callEntity") feed = fake.apply(step.job, step.operation, step.input);
    else if (step.kind === "terminate") feed = await client.terminate(step.instanceId, step.reason);
    else if (step.kind === "waitUntil") fake.now = Math.max(fake.now, step.at);
    else feed = await startRunOnce(client, step.run, step.input, { ...waits, precheck: true });
  }
}

/** The input a follow-up orchestration was started with, by its instance id prefix. */
export function followUpInput(fake: FakeCoordinator, prefix: string): PendingRequest {
  const start = fake.starts.find((s) => s.instanceId.startsWith(prefix));
  if (!start) throw new Error(`no follow-up '${prefix}*' was started`);
  return start.input as PendingRequest;
}

/** The follow-up instance started with this prefix (the HTTP starters' tickets are random). */
export function followUpInstance(fake: FakeCoordinator, prefix: string): FakeInstance {
  const entry = [...fake.instances.entries()].find(([id]) => id.startsWith(prefix));
  if (!entry) throw new Error(`no follow-up '${prefix}*' exists`);
  return entry[1];
}
