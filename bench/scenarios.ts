/**
 * The load scenarios against a running devhost. Each one only needs the host's base URL and the
 * durableClient binding value, so it runs the same in the host's thread or in a client worker thread.
 */
import type { DurableClient } from "durable-functions";
import { randomUUID } from "node:crypto";
import { startOptions } from "../core/config";
import { startJob, type CoordinatorClient } from "../core/startJob";
import { durableCoordinatorClient } from "../starters/durableCoordinatorClient";
import { DurableRpc, rpcBaseUrlOf } from "../starters/durableRpc";
import { counting, decisionOnly, emptyCounts, type CallCounts } from "./coordinatorClients";
import { httpLoad } from "./httpLoad";
import { runPool, type PoolResult } from "./measure";
import { naiveCheckThenStart } from "./naiveStart";

export interface HostEndpoint {
  baseUrl: string;
  /** The durableClient binding value (the engine's `clientInput(origin)`). */
  clientData: Record<string, unknown>;
}

export const SCENARIOS = [
  "entityDecisionApp",
  "entityDecisionSdk",
  "startOurs",
  "startNaive",
  "httpStartOurs",
  "httpStartNaive",
  "httpNoop",
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface ScenarioParams {
  requests: number;
  concurrency: number;
  /** Request i goes to job `${jobPrefix}${i % jobs}`. */
  jobs: number;
  jobPrefix: string;
  /** Untimed requests first, so the timed ones run warm. */
  warmup: number;
  /** Job-name prefix of the warm-up requests; default `${jobPrefix}warm-` (other jobs than the timed ones). */
  warmupPrefix?: string;
}

export interface ScenarioResult extends PoolResult {
  /** Durable calls made by the starters (coordinator scenarios only). */
  counts?: CallCounts;
  /** How the requests ended: decision kinds, naive outcomes or HTTP status codes. */
  outcomes: Record<string, number>;
}

const REPORT_INPUT = { items: 3 };

function newDurableClient(clientData: Record<string, unknown>): DurableClient {
  // The SDK's own client class, as df.getClient builds it from the binding value.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require("durable-functions/lib/src/durableClient/DurableClient") as {
    DurableClient: new (data: unknown) => DurableClient;
  };
  return new module.DurableClient(clientData);
}

type Op = (job: string) => Promise<string>;

/** Runs `requests` ops on jobs `${prefix}${i % jobs}` and adds how each ended to `outcomes`. */
type Load = (prefix: string, requests: number, outcomes: Record<string, number>) => Promise<PoolResult>;

interface Prepared {
  load: Load;
  counts?: CallCounts;
  close?: () => void;
}

/** A load of one async op per request, `concurrency` in flight (the starters' own clients). */
function opLoad(op: Op, params: ScenarioParams): Load {
  return (prefix, requests, outcomes) =>
    runPool(requests, params.concurrency, async (i) => {
      const outcome = await op(`${prefix}${i % params.jobs}`);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    });
}

/** One POST per request with autocannon, `concurrency` connections; outcomes are the status codes. */
function httpPostLoad(
  endpoint: HostEndpoint,
  params: ScenarioParams,
  path: (job: string) => string,
  body: string,
): Load {
  return async (prefix, requests, outcomes) => {
    const { outcomes: statuses, ...result } = await httpLoad({
      baseUrl: endpoint.baseUrl,
      requests,
      connections: params.concurrency,
      method: "POST",
      path: (i) => path(`${prefix}${i % params.jobs}`),
      body,
    });
    for (const [status, count] of Object.entries(statuses))
      outcomes[status] = (outcomes[status] ?? 0) + count;
    return result;
  };
}

function coordinatorOp(client: CoordinatorClient, orchestrator: string): Op {
  const options = startOptions();
  return async (job) => {
    const request = { requestId: randomUUID(), orchestrator, input: REPORT_INPUT, policy: "reject" as const };
    const outcome = await startJob(client, job, request, options);
    if (outcome.kind === "pending") throw new Error(`no decision for job '${job}' in time`);
    return outcome.kind;
  };
}

/** The client the app's starters use: entity signal/read over the binding's rpcBaseUrl, the rest over the SDK. */
function appClient(endpoint: HostEndpoint) {
  const rpcBaseUrl = rpcBaseUrlOf(endpoint.clientData);
  if (!rpcBaseUrl) throw new Error("the host's durable client binding has no rpcBaseUrl");
  return durableCoordinatorClient(newDurableClient(endpoint.clientData), new DurableRpc(rpcBaseUrl));
}

function prepare(name: ScenarioName, endpoint: HostEndpoint, params: ScenarioParams): Prepared {
  const counts = emptyCounts();
  switch (name) {
    case "entityDecisionApp": {
      const op = coordinatorOp(counting(decisionOnly(appClient(endpoint)), counts), "reportJob");
      return { load: opLoad(op, params), counts };
    }
    case "entityDecisionSdk": {
      const client = durableCoordinatorClient(newDurableClient(endpoint.clientData));
      return {
        load: opLoad(coordinatorOp(counting(decisionOnly(client), counts), "reportJob"), params),
        counts,
      };
    }
    case "startOurs": {
      const client = appClient(endpoint);
      return { load: opLoad(coordinatorOp(counting(client, counts), "reportJob"), params), counts };
    }
    case "startNaive": {
      const client = newDurableClient(endpoint.clientData);
      const started = new Set<string>();
      const op: Op = async (job) => {
        const outcome = await naiveCheckThenStart(client, "naiveReportJob", job, REPORT_INPUT);
        if (outcome !== "started") return outcome;
        // The seed's race: a second run of a job whose first run already finished (same instance id).
        if (started.has(job)) return "duplicate start";
        started.add(job);
        return outcome;
      };
      return { load: opLoad(op, params) };
    }
    case "httpStartOurs": {
      const body = JSON.stringify({ orchestrator: "reportJob", input: REPORT_INPUT });
      return { load: httpPostLoad(endpoint, params, (job) => `/api/jobs/${job}/start`, body) };
    }
    case "httpStartNaive": {
      const body = JSON.stringify(REPORT_INPUT);
      return {
        load: httpPostLoad(endpoint, params, (job) => `/api/naive/orchestrators/naiveReportJob/${job}`, body),
      };
    }
    case "httpNoop": {
      // The floor: the start row's request (same body, same connections) to a function that does nothing.
      const body = JSON.stringify({ orchestrator: "reportJob", input: REPORT_INPUT });
      return { load: httpPostLoad(endpoint, params, () => "/api/bench/noop", body) };
    }
  }
}

export async function runScenario(
  name: ScenarioName,
  endpoint: HostEndpoint,
  params: ScenarioParams,
): Promise<ScenarioResult> {
  const prepared = prepare(name, endpoint, params);
  try {
    if (params.warmup > 0) {
      await prepared.load(params.warmupPrefix ?? `${params.jobPrefix}warm-`, params.warmup, {});
    }
    if (prepared.counts) Object.assign(prepared.counts, emptyCounts());
    const outcomes: Record<string, number> = {};
    const result: ScenarioResult = {
      ...(await prepared.load(params.jobPrefix, params.requests, outcomes)),
      outcomes,
    };
    if (prepared.counts) result.counts = { ...prepared.counts };
    return result;
  } finally {
    prepared.close?.();
  }
}
