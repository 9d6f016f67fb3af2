/**
 * `CoordinatorClient`s for the bench: the app's own (starters/durableCoordinatorClient.ts) over the SDK,
 * the same calls as raw keep-alive HTTP, a decision-only variant (no orchestration start) and a wrapper
 * that counts the Durable calls each start makes.
 */
import { COORDINATOR_ENTITY } from "../core/names";
import type { CoordinatorClient } from "../core/startJob";
import type { JobState } from "../core/types";
import type { KeepAliveHttp } from "./keepAliveHttp";

export const WEBHOOK_PATH = "/runtime/webhooks/durabletask";

export interface CallCounts {
  signal: number;
  readState: number;
  startRun: number;
  instanceStatus: number;
}

export function emptyCounts(): CallCounts {
  return { signal: 0, readState: 0, startRun: 0, instanceStatus: 0 };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Signal and read state over the public webhook API: what the SDK does, minus axios. */
export function rawHttpCoordinatorClient(http: KeepAliveHttp): CoordinatorClient {
  const entityPath = (job: string) =>
    `${WEBHOOK_PATH}/entities/${COORDINATOR_ENTITY}/${encodeURIComponent(job)}`;
  const unused = (): Promise<never> => Promise.reject(new Error("not used by the decision benchmark"));
  return {
    async signal(job, operation, input) {
      const reply = await http.request("POST", `${entityPath(job)}?op=${operation}`, JSON.stringify(input));
      if (reply.status !== 202) throw new Error(`signal: HTTP ${reply.status} ${reply.body}`);
    },
    async readState(job) {
      const reply = await http.request("GET", entityPath(job));
      if (reply.status === 404) return undefined;
      if (reply.status !== 200) throw new Error(`readState: HTTP ${reply.status} ${reply.body}`);
      return JSON.parse(reply.body) as JobState;
    },
    startRun: unused,
    terminate: unused,
    instanceStatus: unused,
    sleep,
    now: () => Date.now(),
  };
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
