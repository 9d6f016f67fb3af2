/**
 * The HTTP starters, status code by status code, with the Durable client replaced by an in-memory
 * one (the end-to-end tests run the same handlers on the devhost).
 */
import { FakeCoordinator } from "../helpers/fakeCoordinatorClient";
import { fakeDurableClient } from "../helpers/fakeDurableClient";

let fake: FakeCoordinator;
jest.mock("durable-functions", () => {
  const actual = jest.requireActual("durable-functions");
  return { ...actual, getClient: () => fakeDurableClient(fake) };
});
jest.mock("@azure/functions-core", () => jest.requireActual("../helpers/fakeFunctionsCore"), {
  virtual: true,
});

import { HttpRequest, HttpResponse, InvocationContext, type HttpResponseInit } from "@azure/functions";
import "../../orchestrators/exampleJobs";
import { followUpPrefix } from "../../core/runIds";
import {
  getJob,
  getRequest,
  listJobs,
  pauseJobHttp,
  releaseJobHttp as releaseJob,
  resumeJobHttp,
  startJobHttp,
} from "../../starters/jobsApi";
import { httpHandler } from "../../starters/httpResponses";
import { followUpInput, followUpInstance, runFollowUp } from "../helpers/followUpDriver";
import { seedStart } from "../../starters/seedStart";
import { tick } from "../../starters/eternalJobs";

process.env.SINGLETON_WAIT_MS = "30";

beforeEach(() => {
  fake = new FakeCoordinator({ leaseMs: 60_000, maxQueue: 1 });
  fake.now = Date.now(); // the handlers' client reads the real clock
});

type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit | HttpResponse>;

/** The route each handler is registered on (the handlers build answer URLs from the request's path). */
const ROUTES = new Map<Handler, (p: Record<string, string>) => string>([
  [startJobHttp, (p) => `jobs/${p.jobName}/start`],
  [getRequest, (p) => `jobs/${p.jobName}/requests/${p.requestId}`],
  [releaseJob, (p) => `jobs/${p.jobName}/release`],
  [getJob, (p) => `jobs/${p.jobName}`],
  [listJobs, () => "jobs"],
  [pauseJobHttp, (p) => `jobs/${p.jobName}/pause`],
  [resumeJobHttp, (p) => `jobs/${p.jobName}/resume`],
  [seedStart, (p) => `orchestrators/${p.functionName}/${p.instanceId}`],
]);

const POSTS = new Set<Handler>([startJobHttp, pauseJobHttp, resumeJobHttp]);

async function call(
  handler: Handler,
  params: Record<string, string>,
  body?: unknown,
  headers: Record<string, string> = {},
  query = "",
): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, string> }> {
  const text = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
  const request = new HttpRequest({
    method: body === undefined && !POSTS.has(handler) ? "GET" : "POST",
    url: `http://localhost:7071/api/${ROUTES.get(handler)?.(params) ?? "x"}${query}`,
    body: { string: text },
    headers: { "content-type": "application/json", ...headers },
    params,
  });
  const res = await handler(request, new InvocationContext({ functionName: "test" }));
  if (res instanceof HttpResponse) {
    return {
      status: res.status,
      body: (await res.json()) as Record<string, unknown>,
      headers: Object.fromEntries(res.headers),
    };
  }
  return {
    status: res.status ?? 200,
    body: (res.jsonBody ?? {}) as Record<string, unknown>,
    headers: (res.headers ?? {}) as Record<string, string>,
  };
}

const start = (job: string, body: unknown, headers?: Record<string, string>) =>
  call(startJobHttp, { jobName: job }, body, headers);

describe("POST /api/jobs/{jobName}/start", () => {
  test("202 started with the check-status payload, then 409 naming the holder", async () => {
    const first = await start("nightly", { orchestrator: "reportJob", input: { items: 2 } });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({
      status: "started",
      generation: 1,
      instanceId: "nightly:1",
      id: "nightly:1",
    });
    expect(first.body.statusQueryGetUri).toContain("/instances/nightly:1");
    const second = await start("nightly", { orchestrator: "reportJob" });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({
      error: "job is running",
      holder: { generation: 1, instanceId: "nightly:1" },
    });
    expect((second.body.holder as { statusQueryGetUri: string }).statusQueryGetUri).toContain(
      "/instances/nightly:1",
    );
  });

  test("200 useExisting answers with the live run", async () => {
    await start("j", { orchestrator: "reportJob" });
    const res = await start("j", { orchestrator: "reportJob", policy: "useExisting" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "existing", generation: 1, instanceId: "j:1" });
  });

  test("202 queued, then 409 queue full", async () => {
    await start("j", { orchestrator: "reportJob" });
    const queued = await start("j", { orchestrator: "reportJob", policy: "queue" });
    expect(queued.status).toBe(202);
    expect(queued.body).toMatchObject({ status: "queued", position: 1, holder: { generation: 1 } });
    const full = await start("j", { orchestrator: "reportJob", policy: "queue" });
    expect(full.status).toBe(409);
    expect(full.body).toMatchObject({ error: "queue full" });
  });

  test("replace answers 202 with the replaced run", async () => {
    await start("j", { orchestrator: "reportJob" });
    const res = await start("j", { orchestrator: "reportJob", policy: "replace" });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ generation: 2, replaced: { generation: 1, instanceId: "j:1" } });
    expect(fake.terminations).toEqual(["j:1"]);
  });

  test.each<[string, number, string, unknown, string | undefined]>([
    ["bad job name", 400, "-bad", { orchestrator: "reportJob" }, "jobName"],
    ["invalid JSON", 400, "j", "{not json", undefined],
    ["unknown field", 400, "j", { orchestrator: "reportJob", extra: 1 }, "extra"],
    ["missing orchestrator", 400, "j", {}, "orchestrator"],
    ["unknown policy", 400, "j", { orchestrator: "reportJob", policy: "always" }, "policy"],
    [
      "bad idempotency key",
      400,
      "j",
      { orchestrator: "reportJob", idempotencyKey: "has space" },
      "idempotencyKey",
    ],
    ["unknown orchestrator", 404, "j", { orchestrator: "nope" }, "orchestrator"],
    ["body over 64 KB", 413, "j", { orchestrator: "reportJob", input: "x".repeat(70_000) }, undefined],
    [
      "queued input over 512 bytes",
      413,
      "j",
      { orchestrator: "reportJob", policy: "queue", input: "x".repeat(600) },
      "input",
    ],
  ])("%s -> %i, nothing changes", async (_name, status, job, body, field) => {
    const res = await start(job, body);
    expect(res.status).toBe(status);
    expect(typeof res.body.error).toBe("string");
    expect(typeof res.body.detail).toBe("string");
    if (field) expect(res.body.field).toBe(field);
    expect(fake.states.size).toBe(0);
  });

  test("invalid job input is a 400 naming the field, and nothing is decided", async () => {
    const cases: [unknown, string][] = [
      [{ orchestrator: "reportJob", input: { items: 1e9 } }, "input.items"],
      [{ orchestrator: "reportJob", input: { items: -1 } }, "input.items"],
      [{ orchestrator: "reportJob", input: { failAt: "never" } }, "input.failAt"],
      [{ orchestrator: "reportJob", input: { colour: "red" } }, "input.colour"],
      [{ orchestrator: "reportJob", input: [1, 2] }, "input"],
      [{ orchestrator: "monitorJob", input: { intervalSeconds: 0 } }, "input.intervalSeconds"],
      [{ orchestrator: "monitorJob", input: { intervalSeconds: -5 } }, "input.intervalSeconds"],
      [{ orchestrator: "monitorJob", input: { intervalSeconds: 1e308 } }, "input.intervalSeconds"],
    ];
    for (const [body, field] of cases) {
      const res = await start("j", body);
      expect([res.status, res.body.error, res.body.field]).toEqual([400, "invalid input", field]);
      expect(res.body.detail).toContain(field);
    }
    expect(fake.states.size).toBe(0);
  });

  test("202 pending with a Location when no decision arrives in time; the Location serves the final answer", async () => {
    fake.processing = false;
    const res = await start("j", { orchestrator: "reportJob" }, { "Idempotency-Key": "key-1" });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: "pending", job: "j", requestId: "key-1" });
    const location = "http://localhost:7071/api/jobs/j/requests/key-1";
    expect(res.headers.Location).toBe(location);
    expect(res.body.requestStatusUri).toBe(location);
    expect(res.headers["Retry-After"]).toBe("1");
    const poll = () => call(getRequest, { jobName: "j", requestId: "key-1" });
    // The follow-up is still running: pending.
    followUpInstance(fake, followUpPrefix("j", "key-1")).status = "Running";
    expect((await poll()).status).toBe(202);
    // The follow-up decides; then the Location answers as the start route would have.
    fake.processing = true;
    fake.confirmRuns = true; // the run's orchestration confirms it, so a retry may call it started
    const result = await runFollowUp(fake, followUpInput(fake, followUpPrefix("j", "key-1")));
    Object.assign(followUpInstance(fake, followUpPrefix("j", "key-1")), {
      status: "Completed",
      output: result,
    });
    const final = await poll();
    expect(final.status).toBe(202);
    expect(final.body).toMatchObject({
      status: "started",
      generation: 1,
      instanceId: "j:1",
      requestId: "key-1",
    });
    // A retry with the same key gets the same decision and starts nothing.
    const again = await start("j", { orchestrator: "reportJob" }, { "Idempotency-Key": "key-1" });
    expect(again.body).toMatchObject({ status: "started", generation: 1, requestId: "key-1" });
    expect(fake.starts.filter((x) => x.orchestrator === "reportJob")).toHaveLength(1);
  });

  test("the requests route: a rejected follow-up's 409, 404 for an unknown request, 400 for a bad id", async () => {
    await start("j", { orchestrator: "reportJob" });
    fake.processing = false;
    const pending = await start(
      "j",
      { orchestrator: "reportJob", policy: "queue" },
      { "Idempotency-Key": "late" },
    );
    expect(pending.status).toBe(202);
    fake.processing = true;
    await start("j", { orchestrator: "reportJob", policy: "queue" }); // fills the queue first
    const result = await runFollowUp(fake, followUpInput(fake, followUpPrefix("j", "late")));
    Object.assign(followUpInstance(fake, followUpPrefix("j", "late")), {
      status: "Completed",
      output: result,
    });
    const final = await call(getRequest, { jobName: "j", requestId: "late" });
    expect(final.status).toBe(409);
    expect(final.body).toMatchObject({ error: "queue full", holder: { generation: 1 } });
    expect((await call(getRequest, { jobName: "j", requestId: "never" })).status).toBe(404);
    expect((await call(getRequest, { jobName: "j", requestId: "a b" })).body.field).toBe("requestId");
  });
});

describe("every HTTP function answers JSON, even when something throws", () => {
  test("a Durable API failure is a 502 and any other error a 500, both {error, detail}", async () => {
    const failing = (error: Error) => httpHandler(() => Promise.reject(error));
    const backend = await call(
      failing(new Error("The operation failed with an unexpected status code: 500.")),
      {},
    );
    expect(backend).toMatchObject({ status: 502, body: { error: "durable backend error" } });
    const bug = await call(failing(new TypeError("x is undefined")), {});
    expect(bug).toMatchObject({ status: 500, body: { error: "internal error", detail: "x is undefined" } });
  });
});

describe("seed route POST /api/orchestrators/{functionName}/{instanceId}", () => {
  const seed = (fn: string, id: string, body?: unknown) =>
    call(seedStart, { functionName: fn, instanceId: id }, body);

  test("202 check-status response, 409 with the seed's message and the holder's status URL", async () => {
    const first = await seed("reportJob", "backup", { items: 1 });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ id: "backup" });
    expect(first.headers.location ?? first.headers.Location).toContain("/instances/backup");
    const second = await seed("reportJob", "backup");
    expect(second.status).toBe(409);
    expect(second.body.error).toBe("An instance with ID 'backup' already exists.");
    expect(second.body.holder).toMatchObject({ generation: 1, instanceId: "backup" });
  });

  test("a finished previous run does not block a new one", async () => {
    await seed("reportJob", "backup");
    fake.apply("backup", "confirm", { generation: 1, instanceId: "backup" });
    fake.apply("backup", "complete", { generation: 1, outcome: "completed" });
    fake.instances.get("backup")!.status = "Completed";
    const again = await seed("reportJob", "backup");
    expect(again.status).toBe(202);
    expect(fake.states.get("backup")?.active).toMatchObject({ generation: 2, instanceId: "backup" });
  });

  test("404 unknown orchestrator, 400 bad instance id, key or input, 413 body over 64 KB, 202 pending when undecided", async () => {
    expect((await seed("nope", "backup")).status).toBe(404);
    expect((await seed("reportJob", "bad/id")).status).toBe(400);
    const badKey = await call(
      seedStart,
      { functionName: "reportJob", instanceId: "backup" },
      {},
      { "Idempotency-Key": "a b" },
    );
    expect(badKey.status).toBe(400);
    expect(badKey.body.field).toBe("Idempotency-Key");
    const big = await seed("reportJob", "backup", { blob: "x".repeat(70_000) });
    expect(big.status).toBe(413);
    const badInput = await seed("reportJob", "backup", { items: 1e9 });
    expect([badInput.status, badInput.body.field]).toEqual([400, "input.items"]);
    expect(fake.states.size).toBe(0);
    fake.processing = false;
    const pending = await seed("reportJob", "backup");
    expect(pending.status).toBe(202);
    expect(pending.body).toMatchObject({ status: "pending" });
    expect(pending.headers.Location).toMatch(/\/api\/jobs\/backup\/requests\/[0-9a-f-]{36}$/);
  });
});

describe("GET /api/jobs, GET /api/jobs/{jobName}, POST /api/jobs/{jobName}/release", () => {
  test("200 job state for dashboards, 404 unknown job, 400 bad name", async () => {
    await start("j", { orchestrator: "reportJob" });
    const res = await call(getJob, { jobName: "j" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ job: "j", generation: 1, active: { generation: 1, phase: "starting" } });
    expect((await call(getJob, { jobName: "other" })).status).toBe(404);
    expect((await call(getJob, { jobName: "-x" })).status).toBe(400);
  });

  test("200 list of jobs", async () => {
    await start("b", { orchestrator: "reportJob" });
    await start("a", { orchestrator: "reportJob" });
    const res = await call(listJobs, {});
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ jobs: ["a", "b"], count: 2, unregistered: 0 });
  });

  test("release: 200 released (and the queued request is started), 409 not held, 404 unknown, 400 bad reason", async () => {
    await start("j", { orchestrator: "reportJob" });
    await start("j", { orchestrator: "reportJob", policy: "queue", input: { items: 1 } });
    const res = await call(releaseJob, { jobName: "j" }, { reason: "stuck" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: "released",
      released: { generation: 1, instanceId: "j:1" },
      promoted: { generation: 2, instanceId: "j:2" },
    });
    expect(fake.starts.at(-1)).toMatchObject({
      instanceId: "j:2",
      input: { generation: 2, input: { items: 1 } },
    });
    fake.apply("j", "release", {});
    expect((await call(releaseJob, { jobName: "j" })).status).toBe(409);
    expect((await call(releaseJob, { jobName: "zzz" })).status).toBe(404);
    expect((await call(releaseJob, { jobName: "j" }, { reason: 5 })).status).toBe(400);
  });

  test("release: 202 pending when the entity does not apply it in time; its follow-up finishes it", async () => {
    await start("j", { orchestrator: "reportJob" });
    fake.processing = false;
    const res = await call(releaseJob, { jobName: "j" });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: "pending" });
    expect(fake.states.get("j")?.active).toMatchObject({ generation: 1 });
    const requestId = res.body.requestId as string;
    fake.deliverHeld(); // the signal arrives late; the follow-up's call finds the release recorded
    const result = await runFollowUp(fake, followUpInput(fake, followUpPrefix("j", requestId)));
    expect(result).toEqual({
      kind: "release",
      result: { kind: "released", released: { generation: 1, instanceId: "j:1" } },
    });
    expect(fake.states.get("j")?.counters.released).toBe(1);
  });

  test("release racing the run's completion: 409 naming how the run ended, at once", async () => {
    await start("j", { orchestrator: "reportJob" });
    fake.processing = false; // the release signal is held back...
    const releasing = call(releaseJob, { jobName: "j" });
    await new Promise((resolve) => setImmediate(resolve));
    fake.apply("j", "complete", { generation: 1, outcome: "completed" }); // ...while the run completes
    const res = await releasing;
    expect(res.status).toBe(409);
    expect(res.body.detail).toBe(
      "job 'j' has no active run: generation 1 ended (completed) before the release",
    );
    fake.deliverHeld(); // the late release changes nothing
    expect(fake.states.get("j")?.counters).toMatchObject({ released: 0, completed: 1 });
  });
});

describe("POST /api/jobs/{jobName}/pause and /resume", () => {
  const pause = (job: string, body?: unknown, headers?: Record<string, string>) =>
    call(pauseJobHttp, { jobName: job }, body, headers);
  const resume = (job: string, body?: unknown) => call(resumeJobHttp, { jobName: job }, body);

  test("pause: 200 paused, then every start is a 409 'job is paused' naming who, why and the holder", async () => {
    await start("j", { orchestrator: "reportJob" });
    const res = await pause("j", { reason: "incident 42", by: "alice" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: "paused",
      job: "j",
      paused: { by: "alice", reason: "incident 42", since: expect.any(String) },
    });
    const since = (res.body.paused as { since: string }).since;
    for (const policy of ["reject", "useExisting", "replace", "queue"]) {
      const refused = await start("j", { orchestrator: "reportJob", policy });
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({
        error: "job is paused",
        paused: { by: "alice", reason: "incident 42", since },
        holder: { generation: 1, instanceId: "j:1", phase: "starting" },
      });
      expect(refused.body.detail).toBe(
        `job 'j' was paused by alice at ${since} (incident 42); it refuses new starts until it is resumed (generation 1 is still starting)`,
      );
    }
    expect(fake.states.get("j")?.counters).toMatchObject({ accepted: 1, rejected: 4 });
    const seed = await call(seedStart, { functionName: "reportJob", instanceId: "j" });
    expect([seed.status, seed.body.error]).toEqual([409, "job is paused"]);
    const view = await call(getJob, { jobName: "j" });
    expect(view.body).toMatchObject({ phase: "paused", paused: { by: "alice", reason: "incident 42" } });
    expect(view.body.events).toContainEqual(
      expect.objectContaining({ type: "paused", generation: 1, detail: "alice: incident 42" }),
    );
  });

  test("pause: 409 already paused naming who paused it; who defaults to the App Service principal, else 'admin'", async () => {
    await start("j", { orchestrator: "reportJob" });
    expect(
      (await pause("j", undefined, { "x-ms-client-principal-name": "ops@contoso.com" })).body,
    ).toMatchObject({
      paused: { by: "ops@contoso.com" },
    });
    const again = await pause("j", { by: "bob" });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: "already paused", paused: { by: "ops@contoso.com" } });
    expect(again.body.detail).toMatch(/^job 'j' was paused by ops@contoso.com at \S+Z$/);
    await resume("j");
    expect((await pause("j")).body).toMatchObject({ paused: { by: "admin" } });
  });

  test("404 unknown job, 400 invalid name or body, nothing changes", async () => {
    expect((await pause("nope")).status).toBe(404);
    expect((await resume("nope")).status).toBe(404);
    await start("j", { orchestrator: "reportJob" });
    const before = fake.states.get("j");
    const cases: [Promise<{ status: number; body: Record<string, unknown> }>, string | undefined][] = [
      [pause("-bad"), "jobName"],
      [pause("j", "{not json"), undefined],
      [pause("j", { reason: "x".repeat(201) }), "reason"],
      [pause("j", { reason: "two\nlines" }), "reason"],
      [pause("j", { by: "" }), "by"],
      [pause("j", { why: "x" }), "why"],
      [resume("j", { reason: "resume takes no reason" }), "reason"],
      [resume("j", [1]), undefined],
    ];
    for (const [pending, field] of cases) {
      const res = await pending;
      expect(res.status).toBe(400);
      expect(res.body.field).toBe(field);
    }
    expect(fake.states.get("j")).toEqual(before);
  });

  test("resume: 409 not paused; 200 resumed; a queued request is promoted on resume and started by the resume", async () => {
    await start("j", { orchestrator: "reportJob" });
    expect(await resume("j")).toMatchObject({ status: 409, body: { error: "not paused" } });
    await start("j", { orchestrator: "reportJob", policy: "queue", input: { items: 2 } });
    await pause("j", { reason: "deploy" });
    // The holder finishes while the job is paused: the queue waits.
    fake.apply("j", "confirm", { generation: 1, instanceId: "j:1" });
    fake.apply("j", "complete", { generation: 1, outcome: "completed" });
    expect(fake.states.get("j")).toMatchObject({ active: undefined, queue: [{ orchestrator: "reportJob" }] });
    const startsBefore = fake.starts.length;
    const res = await resume("j", { by: "alice" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: "resumed",
      promoted: { generation: 2, instanceId: "j:2" },
    });
    expect((res.body.promoted as { statusQueryGetUri: string }).statusQueryGetUri).toContain(
      "/instances/j:2",
    );
    expect(fake.starts.slice(startsBefore)).toEqual([
      {
        orchestrator: "reportJob",
        instanceId: "j:2",
        input: { job: "j", generation: 2, input: { items: 2 } },
      },
    ]);
    expect((await start("j", { orchestrator: "reportJob" })).body).toMatchObject({ error: "job is running" });
  });

  test("202 pending when the entity does not apply them in time; the request's Location serves the final answer", async () => {
    await start("j", { orchestrator: "reportJob" });
    fake.processing = false;
    const paused = await pause("j", { reason: "slow" });
    expect(paused.status).toBe(202);
    expect(paused.body).toMatchObject({ status: "pending" });
    const requestId = paused.body.requestId as string;
    expect(paused.headers.Location).toBe(`http://localhost:7071/api/jobs/j/requests/${requestId}`);
    fake.deliverHeld(); // the signal arrives late; the follow-up's direct call finds the pause recorded
    fake.processing = true;
    const result = await runFollowUp(fake, followUpInput(fake, followUpPrefix("j", requestId)));
    expect(result).toMatchObject({
      kind: "pause",
      result: { kind: "paused", pause: { by: "admin", reason: "slow" } },
    });
    expect(fake.states.get("j")?.requests.filter((r) => r[1] === "p")).toHaveLength(1);
    const answer = await call(getRequest, { jobName: "j", requestId });
    expect(answer).toMatchObject({ status: 200, body: { status: "paused", paused: { reason: "slow" } } });

    fake.processing = false;
    const resumed = await resume("j");
    expect(resumed.status).toBe(202);
    const resumeId = resumed.body.requestId as string;
    fake.processing = true; // the signal is lost in flight: the follow-up decides the request itself
    fake.held.splice(0);
    const resumeResult = await runFollowUp(fake, followUpInput(fake, followUpPrefix("j", resumeId)));
    expect(resumeResult).toEqual({ kind: "resume", result: { kind: "resumed" } });
    expect(fake.states.get("j")?.paused).toBeUndefined();
    expect((await call(getRequest, { jobName: "j", requestId: resumeId })).body).toMatchObject({
      status: "resumed",
    });
  });
});

describe("run history and the summary view", () => {
  test("GET /api/jobs/{jobName} lists the last runs, newest first, with outcome, duration and summary", async () => {
    await start("j", { orchestrator: "reportJob" });
    fake.now += 1000;
    fake.apply("j", "confirm", { generation: 1, instanceId: "j:1" });
    fake.apply("j", "complete", {
      generation: 1,
      outcome: "failed",
      summary: "Error: fetch failed as requested",
    });
    await start("j", { orchestrator: "monitorJob", input: { intervalSeconds: 5 } });
    const res = await call(getJob, { jobName: "j" });
    expect(res.body).toMatchObject({ phase: "starting", active: { generation: 2 } });
    expect(res.body.runs).toEqual([
      {
        generation: 1,
        instanceId: "j:1",
        orchestrator: "reportJob",
        outcome: "failed",
        startedAt: expect.any(String),
        endedAt: expect.any(String),
        durationMs: 1000,
        summary: "Error: fetch failed as requested",
        statusQueryGetUri: expect.stringContaining("/instances/j:1"),
      },
    ]);
  });

  test("GET /api/jobs?view=summary: one line per job with its phase; 400 for another view", async () => {
    await start("busy", { orchestrator: "reportJob" });
    await start("busy", { orchestrator: "reportJob", policy: "queue" });
    await start("calm", { orchestrator: "reportJob" });
    fake.apply("calm", "complete", { generation: 1, outcome: "completed", summary: "x".repeat(100) });
    await start("held", { orchestrator: "reportJob" });
    fake.apply("held", "confirm", { generation: 1, instanceId: "held:1" });
    await call(pauseJobHttp, { jobName: "held" }, { reason: "why not" });
    const res = await call(listJobs, {}, undefined, {}, "?view=summary");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ jobs: ["busy", "calm", "held"], count: 3, at: expect.any(String) });
    const summaries = res.body.summaries as Record<string, unknown>[];
    expect(summaries.map((s) => [s.job, s.phase, s.queued])).toEqual([
      ["busy", "queued", 1],
      ["calm", "idle", 0],
      ["held", "paused", 0],
    ]);
    expect(summaries[1]).toMatchObject({
      last: { generation: 1, outcome: "completed", summary: `${"x".repeat(39)}…` },
    });
    expect(summaries[2]).toMatchObject({
      paused: { by: "admin", reason: "why not" },
      holder: {
        generation: 1,
        phase: "running",
        statusQueryGetUri: expect.stringContaining("/instances/held:1"),
      },
    });
    expect((await call(listJobs, {}, undefined, {}, "?view=all")).status).toBe(400);
  });
});

test("an eternal job's timer tick skips a paused job and says so in the log; the next tick after resume starts it", async () => {
  const job = {
    name: "eternal",
    orchestrator: "monitorJob",
    schedule: "0 */5 * * * *",
    input: { intervalSeconds: 60 },
  };
  const logs: string[] = [];
  const context = () =>
    new InvocationContext({
      functionName: "eternalTimer",
      logHandler: (level, ...args) => logs.push(`${level}: ${args.join(" ")}`),
    });
  const timer = {
    isPastDue: false,
    schedule: { adjustForDST: false },
    scheduleStatus: { last: "", next: "", lastUpdated: "" },
  };
  expect(await tick(job, timer, context())).toMatchObject({ kind: "started", generation: 1 });
  fake.apply("eternal", "confirm", { generation: 1, instanceId: "eternal:1" });
  fake.apply("eternal", "complete", { generation: 1, outcome: "failed" });
  await call(pauseJobHttp, { jobName: "eternal" }, { reason: "maintenance", by: "alice" });
  logs.splice(0);
  expect(await tick(job, { ...timer, isPastDue: true }, context())).toMatchObject({
    kind: "rejected",
    reason: "paused",
  });
  expect(logs).toEqual([
    expect.stringMatching(
      /^information: Eternal job 'eternal': tick skipped \(past due\): the job is paused \(by alice since \S+Z: maintenance\)\.$/,
    ),
  ]);
  expect(fake.states.get("eternal")).toMatchObject({ generation: 1, counters: { rejected: 1 } });
  await call(resumeJobHttp, { jobName: "eternal" });
  expect(await tick(job, timer, context())).toMatchObject({ kind: "started", generation: 2 });
});
