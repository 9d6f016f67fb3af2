/**
 * The contract under storms, end to end over real HTTP against the app on the devhost (in-memory store, and
 * SQLite in the app:sqlite project): 1,000 concurrent starters with distinct keys on one fresh job, 5 rounds:
 * exactly one 202 `started`, its run Running, every other request a 409 naming it, nothing else, all answered
 * within the wait budget. The entity keeps only the winner's record, so what each read costs stays small:
 * measured here too.
 */
import { AppClient, type Reply } from "./appHost";

const STARTERS = 1000;
const ROUNDS = 5;
const WAIT_BUDGET_MS = 10_000; // the default SINGLETON_WAIT_MS
let app: AppClient;

beforeAll(async () => {
  app = await AppClient.start();
});
afterAll(() => app.stop());

interface Timed extends Reply {
  ms: number;
}

async function timedStart(job: string, body: Record<string, unknown>): Promise<Timed> {
  const started = performance.now();
  const reply = await app.startJob(job, body);
  return { ...reply, ms: performance.now() - started };
}

test(`${STARTERS} concurrent starters with distinct keys on a fresh job, ${ROUNDS} rounds: one run, ${STARTERS - 1} x 409 naming it`, async () => {
  for (let round = 0; round < ROUNDS; round++) {
    const job = `storm-${round}`;
    const body = { orchestrator: "reportJob", input: { waitForEvent: "go" } };
    const replies = await Promise.all(
      Array.from({ length: STARTERS }, (_, i) =>
        timedStart(job, { ...body, idempotencyKey: `k-${round}-${i}` }),
      ),
    );
    const byStatus = new Map<number, number>();
    for (const r of replies) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
    expect(Object.fromEntries(byStatus)).toEqual({ 202: 1, 409: STARTERS - 1 });
    const winner = replies.find((r) => r.status === 202)!;
    expect(winner.body).toMatchObject({ status: "started", generation: 1, instanceId: `${job}:1` });
    for (const r of replies.filter((x) => x.status === 409)) {
      expect(r.body).toMatchObject({
        error: "job is running",
        holder: { generation: 1, instanceId: `${job}:1` },
      });
    }
    expect(Math.max(...replies.map((r) => r.ms))).toBeLessThan(WAIT_BUDGET_MS);

    await app.idle();
    expect((await app.instance(`${job}:1`)).body).toMatchObject({ runtimeStatus: "Running" });
    expect(await app.liveInstances("reportJob")).toEqual([
      { instanceId: `${job}:1`, runtimeStatus: "Running" },
    ]);
    const state = await app.jobState(job);
    expect(state.body).toMatchObject({
      generation: 1,
      counters: { accepted: 1, rejected: STARTERS - 1 },
      recentRequests: 1,
    });
    // What every poll reads: the entity state, with one request record however large the storm.
    const raw = await fetch(
      `${app.host.baseUrl}/runtime/webhooks/durabletask/entities/jobCoordinator/${job}`,
    );
    expect((await raw.text()).length).toBeLessThan(1024);

    await app.raiseEvent(`${job}:1`, "go");
    await app.idle();
  }
  expect(await app.liveInstances("reportJob")).toEqual([]);
});

test.each([2, 10, 100])(
  "%i concurrent requests with the same key on a short run, 10 trials: one instance, started once, its real output",
  async (concurrency) => {
    for (let trial = 0; trial < 10; trial++) {
      const job = `same-key-${concurrency}-${trial}`;
      const body = { orchestrator: "reportJob", input: { items: 2 }, idempotencyKey: "the-key" };
      const replies = await Promise.all(Array.from({ length: concurrency }, () => app.startJob(job, body)));
      for (const r of replies) {
        expect([r.status, r.body.status, r.body.generation, r.body.instanceId]).toEqual([
          202,
          "started",
          1,
          `${job}:1`,
        ]);
      }
      await app.idle();
      const status = await app.instance(`${job}:1`, "?showHistory=true");
      expect(status.body).toMatchObject({
        runtimeStatus: "Completed",
        output: { published: 2, total: 5, generation: 1 },
      });
      const history = status.body.historyEvents as { EventType: string }[];
      expect(history.filter((e) => e.EventType === "ExecutionStarted")).toHaveLength(1);
      const state = await app.jobState(job);
      expect(state.body.counters).toMatchObject({ accepted: 1, completed: 1, superseded: 0 });
      // A retry after the run ended gets the same decision and starts nothing.
      const late = await app.startJob(job, body);
      expect([late.status, late.body.generation]).toEqual([202, 1]);
      await app.idle();
      expect((await app.jobState(job)).body.counters).toMatchObject({ accepted: 1, superseded: 0 });
    }
  },
);

test("release racing the run's completion, 30 trials at 0-15 ms apart: 200 or 409 within a second, never 503", async () => {
  const seen = new Set<number>();
  for (let trial = 0; trial < 30; trial++) {
    const job = `release-race-${trial}`;
    expect(
      (await app.startJob(job, { orchestrator: "reportJob", input: { waitForEvent: "go" } })).status,
    ).toBe(202);
    await app.idle();
    // 0..15 ms apart, the completion first in even trials and the release first in odd ones.
    const gap = trial % 16;
    const pause = () => new Promise((resolve) => setTimeout(resolve, gap));
    const complete = async () => {
      if (trial % 2 === 1) await pause();
      await app.raiseEvent(`${job}:1`, "go");
    };
    const timedRelease = async () => {
      if (trial % 2 === 0) await pause();
      const started = performance.now();
      const reply = await app.post(`/api/jobs/${job}/release`, { reason: "race" });
      return { reply, ms: performance.now() - started };
    };
    const [, { reply: release, ms }] = await Promise.all([complete(), timedRelease()]);
    expect([200, 409]).toContain(release.status);
    expect(ms).toBeLessThan(1000);
    seen.add(release.status);
    await app.idle();
    const state = await app.jobState(job);
    expect(state.body.active).toBeUndefined();
    const outcome = (state.body.lastFinished as { outcome: string }).outcome;
    expect(outcome).toBe(release.status === 200 ? "released" : "completed");
  }
  // Both sides of the race were exercised.
  expect([...seen].sort()).toEqual([200, 409]);
});

test.each<[string, unknown, string]>([
  ["monitorJob", { intervalSeconds: 0 }, "input.intervalSeconds"],
  ["monitorJob", { intervalSeconds: -1 }, "input.intervalSeconds"],
  ["monitorJob", { intervalSeconds: 1e308 }, "input.intervalSeconds"],
  ["reportJob", { items: 1e9 }, "input.items"],
])("%s with input %j is a 400 naming %s, and no job is created", async (orchestrator, input, field) => {
  const reply = await app.startJob("absurd", { orchestrator, input });
  expect(reply.status).toBe(400);
  expect(reply.body).toMatchObject({ error: "invalid input", field });
  expect((await app.jobState("absurd")).status).toBe(404);
});

test("an input nested 5,000 levels deep is a 400 on both start routes, and nothing is decided", async () => {
  const deep = "[".repeat(5000) + "]".repeat(5000);
  const viaJobs = await app.post("/api/jobs/deep/start", `{"orchestrator":"reportJob","input":${deep}}`);
  expect([viaJobs.status, viaJobs.body.error, viaJobs.body.field]).toEqual([400, "input too deep", "input"]);
  const viaSeed = await app.post("/api/orchestrators/reportJob/deep", deep);
  expect([viaSeed.status, viaSeed.body.error]).toEqual([400, "input too deep"]);
  expect((await app.jobState("deep")).status).toBe(404);
});
