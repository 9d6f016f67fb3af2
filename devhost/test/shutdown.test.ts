/**
 * `host.stop()`: new function requests get a 503 while in-flight ones finish and are answered, idle
 * keep-alive connections are closed, the engine stops starting work once no request is in flight, and
 * what does not finish within the bound is abandoned, answered and named in the log.
 */
import * as http from "node:http";
import * as path from "node:path";
import { startHost, type DevHost } from "../src/host";
import { oneShot } from "./helpers/oneShotHttp";

const appDir = path.join(__dirname, "fixtures/busy-app");
const WEBHOOKS = "/runtime/webhooks/durabletask";

interface Signal<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
}
interface BusyFixture {
  busyWaits: number;
  hangStarted: Signal;
  hangActivityStarted: Signal;
  gateEntered: Signal;
  gate: Signal;
}
const fixture = (): BusyFixture => (globalThis as unknown as { __busyFixture: BusyFixture }).__busyFixture;

let host: DevHost | undefined;
let logs: string[];

async function start(shutdownTimeoutMs?: number): Promise<DevHost> {
  delete (globalThis as Record<string, unknown>).__busyFixture;
  logs = [];
  host = await startHost({
    appDir,
    port: 0,
    shutdownTimeoutMs,
    log: (level, message) => logs.push(`${level}: ${message}`),
  });
  return host;
}

afterEach(async () => {
  await host?.stop();
  host = undefined;
});

async function startOrchestration(h: DevHost, name: string, input: unknown): Promise<string> {
  const res = await oneShot(`${h.baseUrl}${WEBHOOKS}/orchestrators/${name}`, "POST", JSON.stringify(input));
  expect(res.status).toBe(202);
  return (res.body as { id: string }).id;
}

/** An idle keep-alive connection to the host: resolves `closed` when the server closes it. */
async function idleKeepAliveConnection(h: DevHost): Promise<{ closed: Promise<void>; agent: http.Agent }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let socketClosed!: Promise<void>;
  await new Promise<void>((resolve, reject) => {
    const req = http.get(`${h.baseUrl}/admin/host/status`, { agent }, (res) => {
      res.resume();
      res.on("end", resolve);
    });
    req.on("socket", (socket) => {
      socketClosed = new Promise((done) => socket.once("close", () => done()));
    });
    req.on("error", reject);
  });
  return { closed: socketClosed, agent };
}

test("stop answers the request in flight, refuses new function requests with 503, then closes idle connections", async () => {
  const h = await start();
  const idle = await idleKeepAliveConnection(h);
  const inFlight = oneShot(`${h.baseUrl}/api/gate`, "POST");
  await fixture().gateEntered.promise;

  const stopped = h.stop();
  let idleClosed = false;
  void idle.closed.then(() => (idleClosed = true));

  // A new function request: 503, and the connection is not kept.
  const refused = await oneShot(`${h.baseUrl}/api/hangForever`);
  expect(refused).toMatchObject({
    status: 503,
    headers: { connection: "close" },
    body: { error: "HostStopping", detail: "The host is shutting down." },
  });
  // The status route says so, like the real host's; the management API still answers (functions in
  // flight call it to finish).
  expect(await oneShot(`${h.baseUrl}/admin/host/status`)).toMatchObject({
    status: 200,
    body: { state: "Stopping" },
  });
  expect(await oneShot(`${h.baseUrl}${WEBHOOKS}/instances`)).toMatchObject({ status: 200, body: [] });

  // The idle keep-alive connection stays open while work is in flight (it could belong to the client pool
  // of an in-flight function), and is closed by the time the host has stopped.
  expect(idleClosed).toBe(false);
  fixture().gate.resolve();
  expect(await inFlight).toMatchObject({
    status: 200,
    headers: { connection: "close" },
    body: { finished: true },
  });
  await stopped;
  await idle.closed;
  idle.agent.destroy();
  expect(logs).toEqual(["information: Stopping host...", "information: Host shutdown completed."]);
  await expect(oneShot(`${h.baseUrl}/admin/host/status`)).rejects.toThrow(/ECONNREFUSED/);
});

test("once no request is in flight the engine starts no new work: a running chain stops after its current activity", async () => {
  const h = await start();
  const id = await startOrchestration(h, "busyChain", { count: 150, ms: 20 });
  // Wait until the chain is under way (no sleeps: poll its status over HTTP).
  for (;;) {
    const status = await oneShot(`${h.baseUrl}${WEBHOOKS}/instances/${id}`);
    if ((status.body as { customStatus?: { done: number } }).customStatus?.done) break;
  }
  const began = performance.now();
  await h.stop();
  const took = performance.now() - began;
  // The whole chain takes 3 s; the stop waits for the one activity that runs (20 ms), not for the chain.
  expect(took).toBeLessThan(1_000);
  expect(fixture().busyWaits).toBeLessThan(150);
  expect(logs).toEqual(["information: Stopping host...", "information: Host shutdown completed."]);
});

test("stop abandons what does not finish within the bound, answers its request with a 503 and says so", async () => {
  const h = await start(300);
  await startOrchestration(h, "hangs", null);
  await fixture().hangActivityStarted.promise;
  const hanging = oneShot(`${h.baseUrl}/api/hangForever`);
  await fixture().hangStarted.promise;

  const began = performance.now();
  await h.stop();
  const took = performance.now() - began;
  expect(took).toBeGreaterThanOrEqual(295);
  expect(took).toBeLessThan(3_000);
  expect(await hanging).toMatchObject({
    status: 503,
    headers: { connection: "close" },
    body: {
      error: "HostStopping",
      detail: "The host stopped before this request finished (shutdown bound: 300 ms).",
    },
  });
  expect(logs).toEqual([
    "information: Stopping host...",
    "warning: Host did not shut down within 300 ms; abandoned what was still running: " +
      "httpTrigger 'hangForever' (GET /api/hangForever), activityTrigger 'hangActivity'",
    "information: Host shutdown completed.",
  ]);
});

test("stopNow abandons at once; a second call to stop returns the same promise", async () => {
  const h = await start(60_000);
  const hanging = oneShot(`${h.baseUrl}/api/hangForever`);
  await fixture().hangStarted.promise;
  const stopping = h.stop();
  expect(h.stop()).toBe(stopping);
  const began = performance.now();
  await h.stopNow();
  expect(performance.now() - began).toBeLessThan(3_000);
  expect(await hanging).toMatchObject({
    status: 503,
    body: { error: "HostStopping", detail: "The host stopped at once before this request finished." },
  });
  expect(logs).toEqual([
    "information: Stopping host...",
    "warning: Stopping at once; abandoned what was still running: httpTrigger 'hangForever' (GET /api/hangForever)",
    "information: Host shutdown completed.",
  ]);
});

test("a bad shutdown bound fails the start", async () => {
  await expect(startHost({ appDir, port: 0, log: false, shutdownTimeoutMs: -1 })).rejects.toThrow(
    "Invalid shutdownTimeoutMs -1: the bound must be whole milliseconds from 0 to 600000",
  );
});
