/**
 * The app on a slow backend: the devhost delays every Durable message by 0-200 ms (seeded), in real time, so
 * starters really wait for the coordinator entity's decision and every run step arrives late. The singleton
 * guarantee must not depend on a fast backend.
 */
import { AppClient } from "./appHost";

const STARTERS = 16;
let app: AppClient;

beforeAll(async () => {
  app = await AppClient.start({ latency: { minMs: 0, maxMs: 200, seed: 1 } });
});
afterAll(() => app.stop());

test(`${STARTERS} concurrent starts on a slow backend: one 202, the rest 409 naming it; the run completes`, async () => {
  const job = "slow-race";
  const body = { orchestrator: "reportJob", input: { waitForEvent: "go" } };
  const replies = await Promise.all(Array.from({ length: STARTERS }, () => app.startJob(job, body)));
  const statuses = replies.map((r) => r.status);
  expect(statuses.filter((s) => s === 202)).toHaveLength(1);
  expect(statuses.filter((s) => s === 409)).toHaveLength(STARTERS - 1);
  expect(replies.find((r) => r.status === 202)!.body).toMatchObject({
    status: "started",
    generation: 1,
    instanceId: `${job}:1`,
  });
  for (const r of replies.filter((x) => x.status === 409)) {
    expect(r.body.holder).toMatchObject({ generation: 1, instanceId: `${job}:1` });
  }

  await app.idle(); // waits for the delayed messages as well
  expect(await app.liveInstances("reportJob")).toEqual([
    { instanceId: `${job}:1`, runtimeStatus: "Running" },
  ]);
  expect((await app.raiseEvent(`${job}:1`, "go")).status).toBe(202);
  await app.idle();
  expect((await app.instance(`${job}:1`)).body).toMatchObject({ runtimeStatus: "Completed" });
  const state = await app.jobState(job);
  expect(state.body).toMatchObject({ generation: 1, counters: { accepted: 1, completed: 1 } });
  expect(state.body.active).toBeUndefined();
});
