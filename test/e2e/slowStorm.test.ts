/**
 * The 1,000-starter storm on a slow backend: the devhost delays every Durable message by 0-2,000 ms
 * (seeded), as Azure Storage's queue polling does: with the default wait budget every starter still gets
 * its answer directly. When the backend is slower than the budget (1-2 s per message, 200 ms budget), the
 * starters answer 202 `pending` and every pending request's `Location` serves its final decision. Either
 * way: exactly one run.
 */
import { AppClient, type Reply } from "./appHost";

const STARTERS = 1000;
const LATENCY = { minMs: 0, maxMs: 2000, seed: 7 };
const saved = process.env.SINGLETON_WAIT_MS;
afterEach(() => {
  if (saved === undefined) delete process.env.SINGLETON_WAIT_MS;
  else process.env.SINGLETON_WAIT_MS = saved;
});

const body = { orchestrator: "reportJob", input: { waitForEvent: "go" } };
const storm = (app: AppClient, job: string) =>
  Promise.all(
    Array.from({ length: STARTERS }, (_, i) => app.startJob(job, { ...body, idempotencyKey: `k${i}` })),
  );

/** Polls a pending request's Location until it answers something other than 202 pending. */
async function resolve(app: AppClient, reply: Reply): Promise<Reply> {
  const location = new URL(reply.headers.get("location") ?? "");
  for (let wait = 10; ; wait = Math.min(wait * 2, 500)) {
    const answer = await app.get(location.pathname);
    if (!(answer.status === 202 && answer.body.status === "pending")) return answer;
    await new Promise((r) => setTimeout(r, wait));
  }
}

function expectOneRun(finals: Reply[], job: string): void {
  const started = finals.filter((r) => r.status === 202 && r.body.status === "started");
  expect(started.map((r) => [r.body.generation, r.body.instanceId])).toEqual([[1, `${job}:1`]]);
  const rejected = finals.filter((r) => r.status === 409);
  expect(rejected).toHaveLength(STARTERS - 1);
  for (const r of rejected)
    expect(r.body).toMatchObject({ holder: { generation: 1, instanceId: `${job}:1` } });
}

async function expectRunLive(app: AppClient, job: string): Promise<void> {
  await app.idle();
  expect(await app.liveInstances("reportJob")).toEqual([
    { instanceId: `${job}:1`, runtimeStatus: "Running" },
  ]);
  expect((await app.jobState(job)).body).toMatchObject({ generation: 1, counters: { accepted: 1 } });
}

test(`${STARTERS} starters, 0-2,000 ms message latency, default budget: every answer direct, one run`, async () => {
  const app = await AppClient.start({ latency: LATENCY });
  try {
    const replies = await storm(app, "slow-storm");
    expect(replies.filter((r) => r.status !== 202 && r.status !== 409)).toEqual([]);
    expectOneRun(replies, "slow-storm");
    await expectRunLive(app, "slow-storm");
  } finally {
    await app.stop();
  }
});

test(`${STARTERS} starters, 1,000-2,000 ms message latency, 200 ms budget: 202 pending, every Location resolves, one run`, async () => {
  const app = await AppClient.start({
    latency: { minMs: 1000, maxMs: 2000, seed: 7 },
    env: { SINGLETON_WAIT_MS: "200" },
  });
  try {
    const replies = await storm(app, "pending-storm");
    // Every answer is 202 (started or pending) or 409: nothing else, no 503.
    expect(
      replies.filter(
        (r) =>
          !(r.status === 409 || (r.status === 202 && ["started", "pending"].includes(String(r.body.status)))),
      ),
    ).toEqual([]);
    const pending = replies.filter((r) => r.body.status === "pending");
    // Every starter served before the first message arrives (a second at least after the first signal) finds
    // nothing decided and answers pending; how many that is depends on how fast this machine serves them.
    expect(pending.length).toBeGreaterThan(0);
    for (const r of pending) {
      expect(r.headers.get("location")).toBe(
        `${app.host.baseUrl}/api/jobs/pending-storm/requests/${String(r.body.requestId)}`,
      );
    }
    const finals = await Promise.all(replies.map((r) => (r.body.status === "pending" ? resolve(app, r) : r)));
    expectOneRun(finals, "pending-storm");
    // The final answer of a pending request is the same on every later poll.
    const again = await resolve(app, pending[0]);
    expect(again.status).toBe(finals[replies.indexOf(pending[0])].status);
    await expectRunLive(app, "pending-storm");
  } finally {
    await app.stop();
  }
});
