/**
 * The eternal job declared in singleton.jobs.json (`health-monitor`: monitorJob, tick every 5 minutes,
 * 60 s durable timer between continueAsNew cycles) keeps exactly one live instance across 50 timer ticks,
 * and a tick reconciles a holder terminated from outside. Time moves with the devhost's virtual clock.
 */
import { AppClient } from "./appHost";

const JOB = "health-monitor";
const MINUTE = 60_000;
let app: AppClient;

beforeAll(async () => {
  app = await AppClient.start();
  await app.idle(); // runOnStartup: the first tick has started generation 1
});
afterAll(() => app.stop());

interface JobCounters {
  accepted: number;
  existing: number;
  reconciled: number;
}

async function counters(): Promise<JobCounters> {
  return (await app.jobState(JOB)).body.counters as JobCounters;
}

test("exactly one live instance across 50 ticks and many continueAsNew cycles", async () => {
  expect((await app.jobState(JOB)).body.active).toMatchObject({ generation: 1, phase: "running" });
  const before = await counters();
  let ticks = 0;
  let minutes = 0;
  while (ticks < 50) {
    await app.advance(MINUTE); // one monitor cycle per minute, one tick every five (on wall-clock 5-minute marks)
    minutes++;
    const live = await app.liveInstances("monitorJob");
    expect(live).toEqual([{ instanceId: `${JOB}:1`, runtimeStatus: "Running" }]);
    const status = await app.instance(`${JOB}:1`);
    // exactly one continueAsNew cycle per minute, always the same instance and generation
    expect(status.body.customStatus).toMatchObject({ iteration: minutes, generation: 1 });
    ticks = (await counters()).existing - before.existing;
  }
  const after = await counters();
  expect(after.accepted).toBe(1); // never a second generation
  expect(after.existing - before.existing).toBe(50);
  expect(minutes).toBeGreaterThan(245); // 50 ticks, five minutes apart
});

test("a tick reconciles a holder terminated from outside and starts the next generation", async () => {
  expect((await app.terminate(`${JOB}:1`)).status).toBe(202);
  await app.idle();
  expect(await app.liveInstances("monitorJob")).toEqual([]);
  await app.advance(5 * MINUTE);
  expect(await app.liveInstances("monitorJob")).toEqual([
    { instanceId: `${JOB}:2`, runtimeStatus: "Running" },
  ]);
  const state = await app.jobState(JOB);
  expect(state.body.lastFinished).toMatchObject({ generation: 1, outcome: "terminated" });
  expect(state.body.active).toMatchObject({ generation: 2, phase: "running" });
});

test("a force-released eternal run is terminated, and the next tick starts a new one", async () => {
  const holder = (await app.jobState(JOB)).body.active as { generation: number; instanceId: string };
  const released = await app.post(`/api/jobs/${JOB}/release`, { reason: "maintenance" });
  expect(released.status).toBe(200);
  expect(released.body).toMatchObject({ released: { generation: holder.generation } });
  await app.idle();
  const old = await app.instance(holder.instanceId);
  expect(old.body).toMatchObject({ runtimeStatus: "Terminated", output: "released: maintenance" });
  await app.advance(5 * MINUTE); // a tick: useExisting finds no holder and starts the next generation
  const next = holder.generation + 1;
  expect(await app.liveInstances("monitorJob")).toEqual([
    { instanceId: `${JOB}:${next}`, runtimeStatus: "Running" },
  ]);
  expect((await app.jobState(JOB)).body.active).toMatchObject({ generation: next, phase: "running" });
});
