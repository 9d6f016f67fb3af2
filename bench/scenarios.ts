/**
 * The load scenarios against a running devhost. Each one only needs the host's base URL and the
 * durableClient binding value, so it runs the same in the host's thread or in a client worker thread.
 */
import type { DurableClient } from "durable-functions";
import { randomUUID } from "node:crypto";
import { settings } from "../core/config";
import { startJob, type CoordinatorClient, type StartOptions } from "../core/startJob";
import { durableCoordinatorClient } from "../starters/durableCoordinatorClient";
import { DurableRpc, rpcBaseUrlOf } from "../starters/durableRpc";
import {
  counting,
  decisionOnly,
  emptyCounts,
  rawHttpCoordinatorClient,
  type CallCounts,
} from "./coordinatorClients";
import { KeepAliveHttp } from "./keepAliveHttp";
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
  "entityDecisionHttp",
  "startOurs",
  "startNaive",
  "httpStartOurs",
  "httpStartNaive",
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

interface Prepared {
  op: Op;
  counts?: CallCounts;
  close?: () => void;
}

function startOptions(): StartOptions {
  const s = settings();
  return { waitBudgetMs: s.waitBudgetMs, poll: s.poll };
}

function coordinatorOp(client: CoordinatorClient, orchestrator: string): Op {
  const options = startOptions();
  return async (job) => {
    const request = { requestId: randomUUID(), orchestrator, input: REPORT_INPUT, policy: "reject" as const };
    const outcome = await startJob(client, job, request, options);
    if (outcome.kind === "timeout") throw new Error(`no decision for job '${job}' in time`);
    return outcome.kind;
  };
}

function httpOp(http: KeepAliveHttp, path: (job: string) => string, body: string): Op {
  return async (job) => {
    const reply = await http.request("POST", path(job), body);
    if (reply.status >= 500) throw new Error(`HTTP ${reply.status}: ${reply.body.slice(0, 200)}`);
    return String(reply.status);
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
      return { op: coordinatorOp(counting(decisionOnly(appClient(endpoint)), counts), "reportJob"), counts };
    }
    case "entityDecisionSdk": {
      const client = durableCoordinatorClient(newDurableClient(endpoint.clientData));
      return { op: coordinatorOp(counting(decisionOnly(client), counts), "reportJob"), counts };
    }
    case "entityDecisionHttp": {
      const http = new KeepAliveHttp(endpoint.baseUrl, params.concurrency);
      const client = rawHttpCoordinatorClient(http);
      return {
        op: coordinatorOp(counting(decisionOnly(client), counts), "reportJob"),
        counts,
        close: () => http.close(),
      };
    }
    case "startOurs": {
      const client = appClient(endpoint);
      return { op: coordinatorOp(counting(client, counts), "reportJob"), counts };
    }
    case "startNaive": {
      const client = newDurableClient(endpoint.clientData);
      const started = new Set<string>();
      return {
        op: async (job) => {
          const outcome = await naiveCheckThenStart(client, "naiveReportJob", job, REPORT_INPUT);
          if (outcome !== "started") return outcome;
          // The seed's race: a second run of a job whose first run already finished (same instance id).
          if (started.has(job)) return "duplicate start";
          started.add(job);
          return outcome;
        },
      };
    }
    case "httpStartOurs": {
      const http = new KeepAliveHttp(endpoint.baseUrl, params.concurrency);
      const body = JSON.stringify({ orchestrator: "reportJob", input: REPORT_INPUT });
      return { op: httpOp(http, (job) => `/api/jobs/${job}/start`, body), close: () => http.close() };
    }
    case "httpStartNaive": {
      const http = new KeepAliveHttp(endpoint.baseUrl, params.concurrency);
      const body = JSON.stringify(REPORT_INPUT);
      return {
        op: httpOp(http, (job) => `/api/naive/orchestrators/naiveReportJob/${job}`, body),
        close: () => http.close(),
      };
    }
  }
}

export async function runScenario(
  name: ScenarioName,
  endpoint: HostEndpoint,
  params: ScenarioParams,
): Promise<ScenarioResult> {
  const prepared = prepare(name, endpoint, params);
  const outcomes: Record<string, number> = {};
  const run = (prefix: string, requests: number) =>
    runPool(requests, params.concurrency, async (i) => {
      const outcome = await prepared.op(`${prefix}${i % params.jobs}`);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    });
  try {
    if (params.warmup > 0) await run(params.warmupPrefix ?? `${params.jobPrefix}warm-`, params.warmup);
    for (const key of Object.keys(outcomes)) delete outcomes[key];
    if (prepared.counts) Object.assign(prepared.counts, emptyCounts());
    const result: ScenarioResult = { ...(await run(params.jobPrefix, params.requests)), outcomes };
    if (prepared.counts) result.counts = { ...prepared.counts };
    return result;
  } finally {
    prepared.close?.();
  }
}
