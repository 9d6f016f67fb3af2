/**
 * The 64-way race, over real HTTP against the app on the devhost: exactly one starter wins, every other
 * one is rejected naming the same generation. Repeated 20 times with fresh jobs, for the job API and for
 * the seed-compatible route.
 */
import { AppClient } from "./appHost";

const STARTERS = 64;
const ROUNDS = 20;
let app: AppClient;

beforeAll(async () => {
  app = await AppClient.start();
});
afterAll(() => app.stop());

test(`job API: ${STARTERS} concurrent starts, ${ROUNDS} rounds -> exactly one 202, ${STARTERS - 1} x 409 naming it`, async () => {
  for (let round = 0; round < ROUNDS; round++) {
    const job = `race-${round}`;
    // The run waits for an event, so it is certainly live while the others are decided.
    const body = { orchestrator: "reportJob", input: { waitForEvent: "go" } };
    const replies = await Promise.all(Array.from({ length: STARTERS }, () => app.startJob(job, body)));
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(STARTERS - 1);
    const winner = replies.find((r) => r.status === 202)!.body;
    expect(winner).toMatchObject({ status: "started", generation: 1, instanceId: `${job}:1` });
    for (const r of replies.filter((x) => x.status === 409)) {
      expect(r.body.holder).toMatchObject({ generation: 1, instanceId: `${job}:1` });
    }
    await app.idle();
    expect(
      await app.liveInstances("reportJob").then((l) => l.filter((i) => i.instanceId.startsWith(`${job}:`))),
    ).toEqual([{ instanceId: `${job}:1`, runtimeStatus: "Running" }]);
    await app.raiseEvent(`${job}:1`, "go");
  }
  await app.idle();
  expect(await app.liveInstances("reportJob")).toEqual([]);
});

test(`seed route: ${STARTERS} concurrent starts, ${ROUNDS} rounds -> exactly one 202, ${STARTERS - 1} x 409`, async () => {
  for (let round = 0; round < ROUNDS; round++) {
    const id = `seed-race-${round}`;
    const replies = await Promise.all(
      Array.from({ length: STARTERS }, () =>
        app.post(`/api/orchestrators/reportJob/${id}`, { waitForEvent: "go" }),
      ),
    );
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(STARTERS - 1);
    expect(replies.find((r) => r.status === 202)!.body).toMatchObject({ id });
    for (const r of replies.filter((x) => x.status === 409)) {
      expect(r.body.error).toBe(`An instance with ID '${id}' already exists.`);
      expect(r.body.holder).toMatchObject({ generation: 1, instanceId: id });
    }
    await app.idle();
    await app.raiseEvent(id, "go");
  }
  await app.idle();
  // Every run completed, and each one ran its user code exactly once.
  for (let round = 0; round < ROUNDS; round++) {
    const status = await app.instance(`seed-race-${round}`);
    expect(status.body).toMatchObject({
      runtimeStatus: "Completed",
      output: { published: 3, total: 14, generation: 1 },
    });
  }
});
