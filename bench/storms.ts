/**
 * The storm rows, host side: for each N, a fresh job gets N concurrent starts from a child process
 * (`storm.ts`), then the runs of that job are counted through the Durable management API (exactly one may
 * exist), the live run gets its `go` event, and the host drains (`waitForIdle`) so the next row is clean.
 */
import { fork } from "node:child_process";
import * as path from "node:path";
import type { DevhostSession } from "./devhostSession";
import type { Row } from "./report";
import type { StormOptions, StormResult } from "./storm";

/** The start request of every storm: a run that stays live until its `go` event. */
export const STORM_BODY = JSON.stringify({ orchestrator: "reportJob", input: { waitForEvent: "go" } });

const STATUSES = "Pending,Running,ContinuedAsNew,Suspended,Completed,Failed,Terminated";
const LIVE = new Set(["Pending", "Running", "ContinuedAsNew", "Suspended"]);

export interface StormParams {
  requests: number;
  job: string;
  /** Connections opened at a time before the storm. */
  wave: number;
}

export interface JobCounters {
  accepted: number;
  rejected: number;
  [counter: string]: number;
}

export interface StormReport {
  row: Row;
  params: StormParams;
  client: StormResult;
  /** `reportJob` instances of the job once the host is idle again (any status): must be 1. */
  runsStarted: number;
  instanceIds: string[];
  /** The job entity's counters once the host is idle again (`GET /api/jobs/{job}`). */
  counters?: JobCounters;
}

type ChildReply = { ok: true; result: StormResult } | { ok: false; error: string };

function runInChildProcess(options: StormOptions): Promise<StormResult> {
  const child = fork(path.join(__dirname, "stormProcess.js"), [], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise<StormResult>((resolve, reject) => {
    child.once("message", (reply: ChildReply) => {
      if (reply.ok) resolve(reply.result);
      else reject(new Error(`storm client failed: ${reply.error}`));
    });
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`storm client exited with ${code} before answering`)));
    child.send(options);
  });
}

interface InstanceStatus {
  name: string;
  instanceId: string;
  runtimeStatus: string;
}

/** The job's `reportJob` instances (ids `job:generation`) through the management API. */
async function instancesOf(baseUrl: string, job: string): Promise<InstanceStatus[]> {
  const prefix = `${job}:`;
  const url =
    `${baseUrl}/runtime/webhooks/durabletask/instances?runtimeStatus=${STATUSES}` +
    `&instanceIdPrefix=${encodeURIComponent(prefix)}&showInput=false&top=1000`;
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status} ${await res.text()}`);
  const list = (await res.json()) as InstanceStatus[];
  return list.filter((i) => i.name === "reportJob" && i.instanceId.startsWith(prefix));
}

async function countersOf(baseUrl: string, job: string): Promise<JobCounters | undefined> {
  const res = await fetch(`${baseUrl}/api/jobs/${encodeURIComponent(job)}`);
  if (res.status !== 200) return undefined;
  return ((await res.json()) as { counters: JobCounters }).counters;
}

async function raiseGo(baseUrl: string, instanceId: string): Promise<void> {
  const url = `${baseUrl}/runtime/webhooks/durabletask/instances/${encodeURIComponent(instanceId)}/raiseEvent/go`;
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  await res.arrayBuffer();
  if (res.status !== 202) throw new Error(`raiseEvent go on ${instanceId}: HTTP ${res.status}`);
}

function outcomesOf(client: StormResult): Record<string, number> {
  const outcomes: Record<string, number> = { ...client.first };
  for (const [key, count] of Object.entries(client.resolved)) outcomes[`pending→${key}`] = count;
  return outcomes;
}

export async function startStorm(session: DevhostSession, p: StormParams): Promise<StormReport> {
  const baseUrl = session.host.baseUrl;
  const client = await runInChildProcess({
    baseUrl,
    job: p.job,
    requests: p.requests,
    body: STORM_BODY,
    wave: p.wave,
    pollInitialMs: 10,
    pollMaxMs: 1000,
    deadlineMs: 120_000,
  });
  // Every answer is in; release the live run(s) so the job's orchestration finishes, then drain.
  for (const instance of await instancesOf(baseUrl, p.job)) {
    if (LIVE.has(instance.runtimeStatus)) await raiseGo(baseUrl, instance.instanceId);
  }
  const drainStart = performance.now();
  await session.host.waitForIdle();
  const drainMs = performance.now() - drainStart;
  const instances = await instancesOf(baseUrl, p.job);
  const counters = await countersOf(baseUrl, p.job);

  const notes = [
    `runs started ${instances.length}${instances.length === 1 ? "" : " (MUST BE 1)"}`,
    `decided ${counters ? counters.accepted + counters.rejected : "?"}/${p.requests}`,
  ];
  if (client.polls > 0) notes.push(`polls ${client.polls}`);
  notes.push(
    `connect ${(client.connect.ms / 1000).toFixed(2)} s in ${client.connect.waves} waves` +
      (client.connect.errors > 0
        ? `, ${client.connect.errors} FAILED (${client.connect.firstError ?? ""})`
        : ""),
  );
  const overflows = (client.listenOverflows.connect ?? 0) + (client.listenOverflows.storm ?? 0);
  if (overflows > 0) notes.push(`listen queue overflowed ${overflows}× (system-wide)`);
  if (client.pipelining > 1) {
    notes.push(`${client.pipelining} requests per connection (open-files limit ${client.fdLimit ?? "?"})`);
  }
  const row: Row = {
    name: `storm: ${p.requests.toLocaleString("en-US")} starters, one job`,
    where: "client process",
    concurrency: p.requests,
    jobs: 1,
    result: {
      ops: p.requests,
      elapsedMs: client.elapsedMs,
      p50Ms: client.p50Ms,
      p99Ms: client.p99Ms,
      errors: client.errors,
      ...(client.firstError === undefined ? {} : { firstError: client.firstError }),
    },
    outcomes: outcomesOf(client),
    drainMs,
    extraNotes: notes,
  };
  const report: StormReport = {
    row,
    params: p,
    client,
    runsStarted: instances.length,
    instanceIds: instances.map((i) => i.instanceId),
  };
  if (counters) report.counters = counters;
  return report;
}
