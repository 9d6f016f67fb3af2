/**
 * A confirmed holder only leaves the job by reporting. When a request is refused (or queued) because of a
 * running holder whose orchestration has in fact ended without reporting (terminated, purged, a crashed
 * host), the caller reconciles it first and decides again on the new state. Shared by the HTTP starter
 * (core/startJob.ts) and the schedule's tick (core/tickJob.ts).
 */
import { observedFrom, type CoordinatorClient, type StartOptions } from "./coordinatorClient";
import { startIfTicketHolder } from "./startRun";
import type { HolderInfo, JobState, ReconcileInput } from "./types";
import type { Waiter } from "./waiter";

export type ReconcileResult =
  /** The holder's orchestration still lives (or the holder is not confirmed): nothing to do. */
  | { kind: "alive" }
  /** Reconciled: the state without that holder (a run it promoted, if this caller's, is started). */
  | { kind: "reconciled"; state: JobState }
  /** The reconcile was signalled but not seen within the wait budget: hand it to a follow-up. */
  | { kind: "timedOut"; reconcile: ReconcileInput & { starter: string } };

export async function reconcileIfEnded(
  client: CoordinatorClient,
  job: string,
  holder: HolderInfo,
  ticket: string,
  waiter: Waiter,
  options: StartOptions,
): Promise<ReconcileResult> {
  if (holder.phase !== "running") return { kind: "alive" };
  const observed = observedFrom((await client.instance(holder.instanceId)).status);
  if (!observed) return { kind: "alive" };
  const reconcile = { generation: holder.generation, observedStatus: observed, starter: ticket };
  await client.signal(job, "reconcile", reconcile);
  const next = await waiter.until((s) => s.active?.generation !== holder.generation);
  if (!next) return { kind: "timedOut", reconcile };
  await startIfTicketHolder(client, next, ticket, options);
  return { kind: "reconciled", state: next };
}
