/**
 * Wrappers around a `CoordinatorClient` for the bench: a decision-only variant (no orchestration start)
 * and one that counts the Durable calls each start makes.
 */
import type { CoordinatorClient } from "../core/coordinatorClient";

export interface CallCounts {
  signal: number;
  readState: number;
  /** JSON length of the entity states read: what each poll costs under a storm. */
  readBytes: number;
  startNew: number;
  instance: number;
}

export function emptyCounts(): CallCounts {
  return { signal: 0, readState: 0, readBytes: 0, startNew: 0, instance: 0 };
}

/** The decision only: a run its ticket holder would start is not started (its start counts as done). */
export function decisionOnly(client: CoordinatorClient): CoordinatorClient {
  return { ...client, startNew: () => Promise.resolve("started" as const) };
}

/** Counts every Durable call that goes through `client`. */
export function counting(client: CoordinatorClient, counts: CallCounts): CoordinatorClient {
  return {
    ...client,
    signal(job, operation, input) {
      counts.signal++;
      return client.signal(job, operation, input);
    },
    async readState(job) {
      counts.readState++;
      const state = await client.readState(job);
      counts.readBytes += state === undefined ? 0 : JSON.stringify(state).length;
      return state;
    },
    startNew(orchestrator, instanceId, input) {
      counts.startNew++;
      return client.startNew(orchestrator, instanceId, input);
    },
    instance(instanceId) {
      counts.instance++;
      return client.instance(instanceId);
    },
  };
}
