/**
 * The devhost keeps answering while the engine works: `/admin/host/status` answers within 100 ms while a
 * chain of synchronous activities runs, and while an orchestration continues as new without ever waiting
 * (its durable timer is due at once). Each probe is taken while the run is in progress (it moved on between
 * the reads before and after the probe) on a connection of its own.
 */
import * as path from "node:path";
import { startHost, type DevHost } from "../src/host";
import { oneShot } from "./helpers/oneShotHttp";

const appDir = path.join(__dirname, "fixtures/busy-app");
const WEBHOOKS = "/runtime/webhooks/durabletask";
const PROBES = 10;
/** What a status probe may take while the engine is busy. */
const PROBE_LIMIT_MS = 100;
/**
 * Every probe answers within the limit (a probe waits at most for the activity in progress and one turn of
 * engine work); none may come near what starvation costs (the whole run: seconds).
 */
const OUTLIERS_ALLOWED = 0;
const NEVER_MS = 1_000;

function expectAnsweredInTime(times: number[]): void {
  expect(times).toHaveLength(PROBES);
  expect(times.filter((ms) => ms >= PROBE_LIMIT_MS).length).toBeLessThanOrEqual(OUTLIERS_ALLOWED);
  expect(Math.max(...times)).toBeLessThan(NEVER_MS);
}

let host: DevHost;

beforeEach(async () => {
  delete (globalThis as Record<string, unknown>).__busyFixture;
  host = await startHost({ appDir, port: 0, log: false });
});

afterEach(() => host.stop());

async function startOrchestration(name: string, input: unknown): Promise<string> {
  const res = await oneShot(
    `${host.baseUrl}${WEBHOOKS}/orchestrators/${name}`,
    "POST",
    JSON.stringify(input),
  );
  expect(res.status).toBe(202);
  return (res.body as { id: string }).id;
}

interface Status {
  runtimeStatus: string;
  input: unknown;
  customStatus: unknown;
  output: unknown;
}

async function status(id: string): Promise<Status> {
  const res = await oneShot(`${host.baseUrl}${WEBHOOKS}/instances/${id}`);
  return res.body as Status;
}

/** Time for one status request, answered `{"state":"Running"}`. */
async function probe(): Promise<number> {
  const started = performance.now();
  const res = await oneShot(`${host.baseUrl}/admin/host/status`);
  const took = performance.now() - started;
  expect(res).toMatchObject({ status: 200, body: { state: "Running" } });
  return took;
}

/**
 * Probes until PROBES of them were taken while the run progressed: `progress` read before and after the
 * probe differ, and the run had not ended. Fails if the run ends first.
 */
async function probeWhileRunning(id: string, progress: (s: Status) => number): Promise<number[]> {
  const times: number[] = [];
  let before = await status(id);
  while (times.length < PROBES) {
    expect(before.runtimeStatus).not.toMatch(/Completed|Failed|Terminated/);
    const took = await probe();
    const after = await status(id);
    if (progress(after) > progress(before) && after.runtimeStatus === "Running") times.push(took);
    before = after;
  }
  return times;
}

test(`the status route answers within ${PROBE_LIMIT_MS} ms while 150 synchronous 20 ms activities run in sequence`, async () => {
  const id = await startOrchestration("busyChain", { count: 150, ms: 20 });
  const done = (s: Status) => (s.customStatus as { done?: number } | null)?.done ?? 0;
  const times = await probeWhileRunning(id, done);
  expectAnsweredInTime(times);

  await host.waitForIdle();
  expect(await status(id)).toMatchObject({
    runtimeStatus: "Completed",
    output: 150,
    customStatus: { done: 150 },
  });
});

test(`the status route answers within ${PROBE_LIMIT_MS} ms while an orchestration continues as new on due timers`, async () => {
  // Long enough to outlast the probes by far: it is terminated once they are taken.
  const id = await startOrchestration("spin", { n: 0, until: 1_000_000 });
  const round = (s: Status) => (s.input as { n: number }).n;
  const times = await probeWhileRunning(id, round);
  expectAnsweredInTime(times);

  const terminated = await oneShot(
    `${host.baseUrl}${WEBHOOKS}/instances/${id}/terminate?reason=done`,
    "POST",
  );
  expect(terminated.status).toBe(202);
  await host.waitForIdle();
  const last = await status(id);
  expect(last).toMatchObject({ runtimeStatus: "Terminated", output: "done" });
  expect(round(last)).toBeGreaterThan(PROBES);
});
