/**
 * The port through which starters (HTTP and timer functions, the follow-up orchestration's activities)
 * reach Durable: entity signals and reads, orchestration starts, instance status. The app implements it
 * over the extension's HTTP API (starters/durableCoordinatorClient.ts); tests implement it in memory or
 * under fast-check's scheduler, which is how the whole protocol is tested against the real starter code.
 */
import type { BackoffOptions } from "./backoff";
import type { OperationName } from "./coordinator";
import type { CoordinatorConfig, JobState, ObservedStatus } from "./types";

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

export interface InstanceInfo {
  status: InstanceStatus;
  /** The generation in the instance's input, when it is a singleton run (its `RunEnvelope`). */
  generation?: number;
}

export interface CoordinatorClient {
  signal(job: string, operation: OperationName, input: unknown): Promise<void>;
  readState(job: string): Promise<JobState | undefined>;
  /**
   * Creates the orchestration instance. "conflict": a live instance already has this id and nothing was
   * started (the host refuses with overridableExistingInstanceStates=NonRunningStates). Throws on anything else.
   */
  startNew(orchestrator: string, instanceId: string, input: unknown): Promise<"started" | "conflict">;
  instance(instanceId: string): Promise<InstanceInfo>;
  /** Terminates a live instance; one that never started or already ended is not an error. */
  terminate(instanceId: string, reason: string): Promise<void>;
  /** A fresh random ticket, unique to one starter invocation. */
  newTicket(): string;
  sleep(ms: number): Promise<void>;
  now(): number;
}

export interface WaitOptions {
  /** How long, in all, a starter waits for the entity before handing the request to a follow-up. */
  waitBudgetMs: number;
  poll: BackoffOptions;
}

export interface StartOptions extends WaitOptions {
  /** The coordinator's configuration: the starter predicts the entity's decision with the same code. */
  config: CoordinatorConfig;
}

export const LIVE_STATUSES: ReadonlySet<InstanceStatus> = new Set([
  "Pending",
  "Running",
  "ContinuedAsNew",
  "Suspended",
]);

const ENDED: ReadonlySet<InstanceStatus> = new Set([
  "Completed",
  "Failed",
  "Terminated",
  "Canceled",
  "NotFound",
]);

/** The status to reconcile a holder with, when its orchestration has ended; undefined while it lives. */
export function observedFrom(status: InstanceStatus): ObservedStatus | undefined {
  if (!ENDED.has(status)) return undefined;
  if (status === "Canceled") return "Terminated";
  return status as ObservedStatus;
}
