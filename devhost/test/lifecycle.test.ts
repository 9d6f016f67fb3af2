import * as path from "node:path";
import { startHost } from "../src/host";
import { createStubEngine } from "./stubEngine";

const appDir = path.join(__dirname, "fixtures/runtime-app");

beforeAll(() => {
  process.env.TICK_SCHEDULE = "0 */5 * * * *";
});

test("a host can be started and stopped repeatedly in one process, with fresh registrations", async () => {
  for (let round = 0; round < 3; round++) {
    delete (globalThis as Record<string, unknown>).__runtimeFixture;
    const stub = createStubEngine();
    const host = await startHost({ appDir, port: 0, createEngine: stub.factory, log: false });
    expect(host.functions.map((f) => f.name)).toContain("hello");
    const res = await fetch(`${host.baseUrl}/api/hello?round=${round}`);
    expect(((await res.json()) as { query: unknown }).query).toEqual({ round: String(round) });
    expect(
      (globalThis as unknown as { __runtimeFixture: { appStarts: number } }).__runtimeFixture.appStarts,
    ).toBe(1);
    await host.stop();
    expect(stub.engine.stopped).toBe(true);
    expect(process.env.WEBSITE_HOSTNAME).toBeUndefined();
  }
});

test("two hosts can run side by side", async () => {
  const a = await startHost({ appDir, port: 0, createEngine: createStubEngine().factory, log: false });
  const b = await startHost({ appDir, port: 0, createEngine: createStubEngine().factory, log: false });
  try {
    expect(a.port).not.toBe(b.port);
    expect((await fetch(`${a.baseUrl}/api/hello`)).status).toBe(200);
    expect((await fetch(`${b.baseUrl}/api/hello`)).status).toBe(200);
  } finally {
    await b.stop();
    await a.stop();
  }
});

test("lists functions with their triggers, routes and methods", async () => {
  const host = await startHost({ appDir, port: 0, createEngine: createStubEngine().factory, log: false });
  try {
    const byName = Object.fromEntries(host.functions.map((f) => [f.name, f]));
    expect(byName.echo).toEqual({
      name: "echo",
      trigger: "httpTrigger",
      methods: ["GET", "POST", "PUT"],
      route: "echo/{id:int}/{name?}",
      authLevel: "anonymous",
    });
    expect(byName.tick).toEqual({ name: "tick", trigger: "timerTrigger", schedule: "%TICK_SCHEDULE%" });
    expect(byName.sayHello.trigger).toBe("orchestrationTrigger");
    expect(byName.counter.trigger).toBe("entityTrigger");
    expect(byName.shout.trigger).toBe("activityTrigger");
  } finally {
    await host.stop();
  }
});

test("waitForIdle waits for in-flight requests and a busy engine", async () => {
  const stub = createStubEngine();
  const host = await startHost({ appDir, port: 0, createEngine: stub.factory, log: false });
  try {
    const release = stub.engine.hold();
    let idle = false;
    const waiting = host.waitForIdle().then(() => (idle = true));
    await fetch(`${host.baseUrl}/api/hello`);
    expect(idle).toBe(false);
    release();
    await waiting;
    expect(idle).toBe(true);
  } finally {
    await host.stop();
  }
});

test("a port in use fails the start and leaves nothing behind", async () => {
  const host = await startHost({ appDir, port: 0, createEngine: createStubEngine().factory, log: false });
  try {
    const stub = createStubEngine();
    await expect(
      startHost({ appDir, port: host.port, createEngine: stub.factory, log: false }),
    ).rejects.toThrow(/EADDRINUSE/);
    expect(stub.engine.stopped).toBe(true);
    expect((await fetch(`${host.baseUrl}/api/hello`)).status).toBe(200);
  } finally {
    await host.stop();
  }
});
