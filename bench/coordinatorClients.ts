/**
 * Wrappers around a `CoordinatorClient` for the bench: a decision-only variant (no orchestration start)
 * and one that counts the Durable calls each start makes.
 */
import type { CoordinatorClient } from "../core/startJob";

export interface CallCounts {
  signal: number;
  readState: number;
  startRun: number;
  instanceStatus: number;
}

export function emptyCounts(): CallCounts {
  return { signal: 0, readState: 0, startRun: 0, instanceStatus: 0 };
}

/** The decision only: a `started` decision is not followed by an orchestration start. */
export function decisionOnly(client: CoordinatorClient): CoordinatorClient {
  return { ...client, startRun: () => Promise.resolve() };
}

/** Counts every Durable call that goes through `client`. */
export function counting(client: CoordinatorClient, counts: CallCounts): CoordinatorClient {
  return {
    ...client,
    signal(job, operation, input) {
      counts.signal++;
      return client.signal(job, operation, input);
    },
    readState(job) {
      counts.readState++;
      return client.readState(job);
    },
    startRun(orchestrator, instanceId, envelope) {
      counts.startRun++;
      return client.startRun(orchestrator, instanceId, envelope);
    },
    instanceStatus(instanceId) {
      counts.instanceStatus++;
      return client.instanceStatus(instanceId);
    },
  };
}
