/**
 * The host is SIGKILLed at named points of its work (DEVHOST_KILL_AT: the process kills itself there, see
 * devhost/src/durable/killPoints.ts), restarted on the same SQLite data, and the work finishes correctly:
 * every run that got going runs its user code once, the coordinator records its ending once, a retry with
 * the request's idempotency key gets the decision that was made (or, when the run's starter died before
 * starting it, waits for the lease and gets a run of its own), and nothing is left in the store.
 */
import { HostProcess, killLeftovers, leftovers, tempDir, type HostOptions, type Reply } from "./hostProcess";
import { readJournal, userCodeRuns } from "./journal";

afterEach(killLeftovers);

const LEASE_MS = 3000;

interface Scenario {
  dataDir: string;
  journal: string;
  env: Record<string, string>;
}

function scenario(): Scenario {
  const dir = tempDir("kill-point-");
  return {
    dataDir: `${dir}/data`,
    journal: `${dir}/journal.ndjson`,
    // A short lease: a run whose starter died with the host is given up (and its request decided afresh)
    // after this long.
    env: { CRASH_JOURNAL: `${dir}/journal.ndjson`, SINGLETON_LEASE_MS: String(LEASE_MS) },
  };
}

function start(s: Scenario, options: Partial<HostOptions> = {}): Promise<HostProcess> {
  return HostProcess.start({ dataDir: s.dataDir, env: s.env, ...options });
}

/** Sends `send` to a host that is about to kill itself at `point`; resolves once it has died there. */
async function dies(host: HostProcess, point: string, send: () => Promise<unknown>): Promise<void> {
  const request = send().catch(() => undefined); // the connection may go down with the host
  const exit = await host.exited;
  await request;
  expect(exit).toEqual({ code: null, signal: "SIGKILL" });
  expect(host.stderr).toContain(`devhost: killed at ${point}`);
}

async function startJob(host: HostProcess, job: string, body: Record<string, unknown>) {
  return host.request("POST", `/api/jobs/${job}/start`, body);
}

interface JobView {
  counters: Record<string, number>;
  runs: { generation: number; outcome: string }[];
  active?: unknown;
}

async function jobState(host: HostProcess, job: string): Promise<JobView> {
  return (await host.request("GET", `/api/jobs/${job}`)).body as unknown as JobView;
}

/** The job's finished runs, oldest first, as [generation, outcome]. */
async function finishedRuns(host: HostProcess, job: string): Promise<[number, string][]> {
  const state = await jobState(host, job);
  return state.runs.map((r): [number, string] => [r.generation, r.outcome]).reverse();
}

/**
 * The final answer to a start request that was answered `pending` (its follow-up orchestration waits for a
 * lease to end, in real time): asks its Location once the host is idle, until it is decided.
 */
async function decided(host: HostProcess, job: string, requestId: string): Promise<Reply> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    await host.idle();
    const reply = await host.request("GET", `/api/jobs/${job}/requests/${requestId}`);
    if (reply.body.status !== "pending") return reply;
    if (Date.now() > deadline) throw new Error(`request ${requestId} of job ${job} is still pending`);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the lease runs out in real time
  }
}

/**
 * After the restart: the work is done, the last run completed (the ones before it ended as `earlier`
 * says), its user code ran exactly once, and nothing is left behind.
 */
async function finishes(
  s: Scenario,
  host: HostProcess,
  job: string,
  generation: number,
  earlier: [number, string][] = [],
): Promise<void> {
  await host.idle();
  expect(await host.instance(`${job}:${generation}`)).toMatchObject({ runtimeStatus: "Completed" });
  const state = await jobState(host, job);
  expect(state.active).toBeUndefined();
  expect(await finishedRuns(host, job)).toEqual([...earlier, [generation, "completed"]]);
  expect(state.counters).toMatchObject({ accepted: 1 + earlier.length, completed: 1, failed: 0 });
  const runs = userCodeRuns(readJournal(s.journal));
  expect(runs.map((r) => [r.job, r.generation, r.cycle, r.ended])).toEqual([[job, generation, 0, true]]);
  expect(await host.stop()).toEqual({ code: 0, signal: null });
  expect(leftovers(s.dataDir)).toEqual({ messages: [], liveInstances: [] });
}

/**
 * The starter died with the host while its request was being decided; on restart the stored request is
 * decided for the dead starter's ticket, so nobody starts that run: a retry with the idempotency key waits
 * until its lease ends (answered `pending` meanwhile), then gets a run of its own, which completes once.
 */
async function retryAfterDeadStarter(
  s: Scenario,
  second: HostProcess,
  job: string,
  key: string,
): Promise<void> {
  await second.idle(); // the stored request is decided first
  const body = { orchestrator: "crashJob", idempotencyKey: key };
  const retry = await startJob(second, job, body);
  expect(retry.status).toBe(202);
  const answer = retry.body.status === "pending" ? (await decided(second, job, key)).body : retry.body;
  expect(answer).toMatchObject({ status: "started", generation: 2, instanceId: `${job}:2`, requestId: key });
  const again = await startJob(second, job, body);
  expect([again.status, again.body]).toMatchObject([202, { status: "started", generation: 2 }]);
  await finishes(s, second, job, 2, [[1, "abandoned"]]);
}

test("inside an entity batch's commit: the decision is made again from the stored request, once", async () => {
  const s = scenario();
  const first = await start(s, { killAt: "entity-commit", killMatch: "tryStart" });
  await dies(first, "entity-commit", () =>
    startJob(first, "commit", { orchestrator: "crashJob", idempotencyKey: "commit-1" }),
  );
  await retryAfterDeadStarter(s, await start(s, { port: first.port }), "commit", "commit-1");
});

test("after an activity ran, before its result committed: the activity runs again, the run completes once", async () => {
  const s = scenario();
  const first = await start(s, { killAt: "activity-ran", killMatch: "crashWork" });
  const reply = await startJob(first, "activity", { orchestrator: "crashJob", input: { fanOut: 3 } });
  expect([reply.status, reply.body.instanceId]).toEqual([202, "activity:1"]);
  const exit = await first.exited;
  expect(exit.signal).toBe("SIGKILL");
  expect(first.stderr).toContain("devhost: killed at activity-ran (crashWork)");

  const second = await start(s, { port: first.port });
  await finishes(s, second, "activity", 1);
  expect(await second.exited).toEqual({ code: 0, signal: null });
});

test("after an episode committed, before its messages were handed on: they are delivered after the restart", async () => {
  const s = scenario();
  const first = await start(s, { killAt: "episode-committed", killMatch: "crashJob" });
  await dies(first, "episode-committed", () =>
    startJob(first, "episode", { orchestrator: "crashJob", idempotencyKey: "episode-1" }),
  );
  const second = await start(s, { port: first.port });
  await second.idle();
  const retry = await startJob(second, "episode", { orchestrator: "crashJob", idempotencyKey: "episode-1" });
  expect([retry.status, retry.body]).toMatchObject([202, { status: "started", generation: 1 }]);
  await finishes(s, second, "episode", 1);
});

test("with a durable timer due: it fires once after the restart", async () => {
  const s = scenario();
  const first = await start(s, { killAt: "timer-due" });
  const reply = await startJob(first, "timer", { orchestrator: "crashJob", input: { timerSeconds: 1 } });
  expect(reply.status).toBe(202);
  const exit = await first.exited;
  expect(exit.signal).toBe("SIGKILL");
  expect(first.stderr).toMatch(/devhost: killed at timer-due \(timer:timer:1:/);

  const second = await start(s, { port: first.port });
  await finishes(s, second, "timer", 1);
});

test("while a starter waits for its decision: a retry after the restart gets a run, which starts once", async () => {
  const s = scenario();
  const first = await start(s, { killAt: "entity-batch", killMatch: "tryStart" });
  await dies(first, "entity-batch", () =>
    startJob(first, "waiting", { orchestrator: "crashJob", idempotencyKey: "waiting-1" }),
  );
  await retryAfterDeadStarter(s, await start(s, { port: first.port }), "waiting", "waiting-1");
});

test("in the middle of a queue hand-over: the promoted run starts after the restart, once", async () => {
  const s = scenario();
  // The releasing run completes and the entity promotes the queued request; the host dies as the run that
  // completed is about to start the promoted one.
  const first = await start(s, { killAt: "activity-start", killMatch: "singletonStartRun" });
  const holder = await startJob(first, "handover", {
    orchestrator: "crashJob",
    policy: "queue",
    input: { waitForEvent: "go" },
  });
  expect(holder.body).toMatchObject({ status: "started", generation: 1 });
  const queued = await startJob(first, "handover", {
    orchestrator: "crashJob",
    policy: "queue",
    idempotencyKey: "next",
  });
  expect(queued.body).toMatchObject({ status: "queued", position: 1 });
  await dies(first, "activity-start", () =>
    first.request("POST", "/runtime/webhooks/durabletask/instances/handover:1/raiseEvent/go", {}),
  );

  const second = await start(s, { port: first.port });
  await second.idle();
  expect(await second.instance("handover:1")).toMatchObject({ runtimeStatus: "Completed" });
  expect(await second.instance("handover:2")).toMatchObject({ runtimeStatus: "Completed" });
  const state = await jobState(second, "handover");
  expect(await finishedRuns(second, "handover")).toEqual([
    [1, "completed"],
    [2, "completed"],
  ]);
  expect(state.counters).toMatchObject({ accepted: 2, queued: 1, completed: 2, superseded: 0 });
  const retry = await startJob(second, "handover", {
    orchestrator: "crashJob",
    policy: "queue",
    idempotencyKey: "next",
  });
  expect(retry.body).toMatchObject({ status: "started", generation: 2, instanceId: "handover:2" });
  const runs = userCodeRuns(readJournal(s.journal));
  expect(runs.map((r) => [r.generation, r.ended])).toEqual([
    [1, true],
    [2, true],
  ]);
  expect(runs[1].begin).toBeGreaterThanOrEqual(runs[0].end as number);
  expect(await second.stop()).toEqual({ code: 0, signal: null });
  expect(leftovers(s.dataDir)).toEqual({ messages: [], liveInstances: [] });
});

test("npm start, stop, npm start: a job started before the restart is still held, and its run completes after it", async () => {
  const s = scenario();
  const first = await start(s);
  const started = await startJob(first, "kept", { orchestrator: "crashJob", input: { waitForEvent: "go" } });
  expect(started.body).toMatchObject({ status: "started", generation: 1 });
  await first.idle();
  expect(await first.stop()).toEqual({ code: 0, signal: null });

  const second = await start(s, { port: first.port });
  const refused = await startJob(second, "kept", { orchestrator: "crashJob" });
  expect([refused.status, refused.body]).toMatchObject([
    409,
    { job: "kept", holder: { generation: 1, instanceId: "kept:1", phase: "running" } },
  ]);
  await second.request("POST", "/runtime/webhooks/durabletask/instances/kept:1/raiseEvent/go", {});
  await finishes(s, second, "kept", 1);
});
