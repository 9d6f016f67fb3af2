/**
 * The Durable management API's keys, as on Azure: with keys configured, /runtime/webhooks/durabletask needs
 * the `durabletask_extension` system key or the master key (azure-functions-host: HostController's
 * ExtensionWebHookHandler under the SystemKeyAuthLevel policy); the binding's public URLs carry that key as
 * `code=`; the app's own calls use the keyless rpc channel, which answers loopback callers only (the
 * extension's LocalHttpListener binds 127.0.0.1). Without keys everything is anonymous, as under `func start`.
 *
 * Callers from other machines are simulated by handing the server a connection whose `remoteAddress` is not
 * loopback (test/helpers/rawHttp.ts, requestFrom): the server's check reads `req.socket.remoteAddress`. The
 * same mechanism with a loopback address is served, so the simulation itself is checked.
 */
import * as path from "node:path";
import * as df from "durable-functions";
import { startHost, type DevHost } from "../src/host";
import type { HostKeys } from "../src/http/auth";
import { rawRequest, requestFrom } from "./helpers/rawHttp";
import { createStubEngine, type StubEngine } from "./stubEngine";

const runtimeApp = path.join(__dirname, "fixtures/runtime-app");
const durableApp = path.join(__dirname, "fixtures/durable-app");
const WEBHOOK = "/runtime/webhooks/durabletask";

const request = (method: string, target: string, headers = ""): string =>
  `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}Content-Length: 0\r\nConnection: close\r\n\r\n`;

async function withStubHost(
  keys: HostKeys | undefined,
  run: (host: DevHost, engine: StubEngine) => Promise<void>,
): Promise<void> {
  process.env.TICK_SCHEDULE = "0 */5 * * * *";
  const stub = createStubEngine();
  const host = await startHost({ appDir: runtimeApp, port: 0, createEngine: stub.factory, log: false, keys });
  try {
    await run(host, stub.engine);
  } finally {
    await host.stop();
  }
}

describe("without keys, like func start", () => {
  test("the webhook API is anonymous; the rpc channel answers loopback callers only", async () => {
    await withStubHost(undefined, async (host, engine) => {
      expect((await rawRequest(host.port, request("POST", `${WEBHOOK}/instances/x/terminate`))).status).toBe(
        202,
      );
      expect((await rawRequest(host.port, request("GET", "/durabletask/instances/x"))).status).toBe(202);
      expect(
        (await requestFrom(host.httpServer, "203.0.113.7", request("GET", `${WEBHOOK}/instances`))).status,
      ).toBe(202);
      const seen = engine.requests.length;
      const remote = await requestFrom(
        host.httpServer,
        "203.0.113.7",
        request("GET", "/durabletask/instances"),
      );
      expect([remote.status, JSON.parse(remote.body)]).toEqual([
        403,
        {
          error: "Forbidden",
          message: "The Durable RPC endpoint answers callers on this machine (loopback) only.",
        },
      ]);
      expect(engine.requests.length).toBe(seen);
    });
  });
});

describe("with keys", () => {
  const keys = {
    master: "master-key",
    host: ["host-key"],
    functions: { secure: ["function-key"] },
    system: { durabletask_extension: ["system-key"] },
  };

  test("the system key or the master key, as ?code= or x-functions-key; host and function keys are refused", async () => {
    await withStubHost(keys, async (host, engine) => {
      const status = async (target: string, headers = ""): Promise<number> =>
        (await rawRequest(host.port, request("POST", target, headers))).status;
      const target = `${WEBHOOK}/entities/jobCoordinator/j?op=release`;
      expect(await status(target)).toBe(401);
      expect(await status(`${target}&code=host-key`)).toBe(401);
      expect(await status(`${target}&code=function-key`)).toBe(401);
      expect(await status(target, "x-functions-key: host-key\r\n")).toBe(401);
      expect(engine.requests).toEqual([]);
      expect(await status(`${target}&code=system-key`)).toBe(202);
      expect(await status(`${target}&code=master-key`)).toBe(202);
      expect(await status(target, "x-functions-key: system-key\r\n")).toBe(202);
      expect(await status(target, "x-functions-key: master-key\r\n")).toBe(202);
      expect(engine.requests).toHaveLength(4);
      // The system key opens no function: function-level functions need a host, function or master key.
      expect((await rawRequest(host.port, request("GET", "/api/secure?code=system-key"))).status).toBe(401);
      expect((await rawRequest(host.port, request("GET", "/api/secure?code=host-key"))).status).toBe(200);
    });
  });

  test("no spelling of the path, the key or the channel gets past the check", async () => {
    await withStubHost(keys, async (host, engine) => {
      const refused: [string, string, string][] = [
        // [method, target, extra headers]
        ["GET", `${WEBHOOK}/instances`, ""],
        ["GET", `${WEBHOOK}`, ""],
        ["GET", "/RUNTIME/Webhooks/DurableTask/instances", ""],
        ["GET", `${WEBHOOK}//instances`, ""],
        ["GET", `${WEBHOOK}/./instances`, ""],
        ["GET", `/api/../runtime/webhooks/durabletask/instances`, ""],
        ["GET", `/durabletask/../runtime/webhooks/durabletask/instances`, ""],
        ["GET", `/durabletask/%2e%2e/runtime/webhooks/durabletask/instances`, ""],
        ["GET", `/runtime/webhooks/durable%74ask/instances`, ""],
        ["GET", `/runtime/webhooks/%64urabletask/instances`, ""],
        ["GET", `/%72untime/webhooks/durabletask/instances`, ""],
        ["POST", `${WEBHOOK}/orchestrators/x?code=`, ""],
        ["POST", `${WEBHOOK}/orchestrators/x?code=wrong&code=system-key`, ""],
        ["POST", `${WEBHOOK}/orchestrators/x?code=SYSTEM-KEY`, ""],
        ["POST", `${WEBHOOK}/orchestrators/x?code=system-key%20`, ""],
        ["POST", `${WEBHOOK}/orchestrators/x?code=system%2Dkey%00`, ""],
        ["POST", `${WEBHOOK}/orchestrators/x?code=system-key`, "x-functions-key: \r\n"],
        ["POST", `${WEBHOOK}/orchestrators/x?code=system-key`, "x-functions-key: wrong\r\n"],
        ["POST", `${WEBHOOK}/orchestrators/x`, "x-functions-key: wrong\r\nx-functions-key: system-key\r\n"],
        ["POST", `${WEBHOOK}/orchestrators/x`, "x-functions-key: wrong, system-key\r\n"],
        ["POST", `${WEBHOOK}/orchestrators/x`, "authorization: Bearer system-key\r\n"],
        ["POST", `${WEBHOOK}/orchestrators/x?key=system-key&x-functions-key=system-key`, ""],
      ];
      for (const [method, target, headers] of refused) {
        const res = await rawRequest(host.port, request(method, target, headers));
        expect([method, target, headers, res.status]).toEqual([method, target, headers, 401]);
      }
      // Paths that only look like the webhook API are no route at all.
      for (const target of [
        `/${WEBHOOK}/instances`,
        `/runtime//webhooks/durabletask/instances`,
        `/runtime/webhooks/durabletask%2Finstances`,
        `/runtime/webhooks/durabletaskx/instances`,
      ]) {
        expect([target, (await rawRequest(host.port, request("GET", target))).status]).toEqual([target, 404]);
      }
      expect(engine.requests).toEqual([]);

      // What is accepted: the first code (query names case-insensitive), a header over a wrong code.
      const accepted: [string, string][] = [
        [`${WEBHOOK}/instances?code=system-key&code=wrong`, ""],
        [`${WEBHOOK}/instances?CODE=system-key`, ""],
        [`${WEBHOOK}/instances?code=system%2Dkey`, ""],
        [`${WEBHOOK}/instances?code=wrong`, "x-functions-key: system-key\r\n"],
        [`/RUNTIME/WEBHOOKS/DURABLETASK/instances?code=master-key`, ""],
        [`/api/../runtime/webhooks/durabletask/instances?code=system-key`, ""],
      ];
      for (const [target, headers] of accepted) {
        const res = await rawRequest(host.port, request("GET", target, headers));
        expect([target, headers, res.status]).toEqual([target, headers, 202]);
      }
      expect(engine.requests.map((r) => r.path)).toEqual(accepted.map(() => "instances"));
    });
  });

  test("the rpc channel needs no key from loopback and refuses every other address, however spelled", async () => {
    await withStubHost(keys, async (host, engine) => {
      expect((await rawRequest(host.port, request("POST", "/durabletask/orchestrators/x"))).status).toBe(202);
      expect((await rawRequest(host.port, request("POST", "/DurableTask/orchestrators/x"))).status).toBe(202);
      for (const loopback of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"]) {
        const res = await requestFrom(host.httpServer, loopback, request("GET", "/durabletask/instances"));
        expect([loopback, res.status]).toEqual([loopback, 202]);
      }
      const served = engine.requests.length;
      for (const remote of ["203.0.113.7", "::ffff:10.0.0.1", "fe80::1", "::", "0.0.0.0", "128.0.0.1", ""]) {
        for (const target of [
          "/durabletask/instances",
          "/durabletask/../durabletask/instances",
          "/%64urabletask/x",
        ]) {
          const res = await requestFrom(host.httpServer, remote, request("GET", target));
          expect([remote, target, res.status]).toEqual([remote, target, 403]);
        }
        // Nor does it open the public API to them.
        const res = await requestFrom(host.httpServer, remote, request("GET", `${WEBHOOK}/instances`));
        expect([remote, res.status]).toEqual([remote, 401]);
      }
      expect(engine.requests.length).toBe(served);
    });
  });
});

describe("the binding's URLs with keys (real engine)", () => {
  let host: DevHost;
  afterEach(() => host.stop());

  const json = async (url: string, init?: RequestInit) => {
    const res = await fetch(url, init);
    return { status: res.status, location: res.headers.get("location"), body: (await res.json()) as unknown };
  };

  test("carry the system key as code=, work as they are, and fail without it; the app's client uses the rpc channel", async () => {
    host = await startHost({
      appDir: durableApp,
      port: 0,
      virtualTime: true,
      log: false,
      keys: { master: "m", system: { durabletask_extension: ["s k"] } },
    });
    const code = "code=s%20k";
    const base = `${host.baseUrl}${WEBHOOK}`;
    const clientData = (await json(`${host.baseUrl}/api/clientData`)).body as Record<string, unknown>;
    expect(clientData).toMatchObject({
      baseUrl: base,
      rpcBaseUrl: `${host.baseUrl}/durabletask/`,
      requiredQueryStringParameters: `taskHub=DurableFixtureHub&connection=Storage&${code}`,
      creationUrls: {
        createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?taskHub=DurableFixtureHub&connection=Storage&${code}`,
      },
      managementUrls: {
        id: "INSTANCEID",
        statusQueryGetUri: `${base}/instances/INSTANCEID?taskHub=DurableFixtureHub&connection=Storage&${code}`,
      },
    });

    // The app's DurableClient (startNew over the rpc channel, createCheckStatusResponse from the binding).
    const started = await json(`${host.baseUrl}/api/start/waitForApproval/k1`, { method: "POST", body: "1" });
    expect(started.status).toBe(202);
    const links = started.body as Record<string, string>;
    for (const [name, url] of Object.entries(links)) if (name !== "id") expect(url).toContain(`&${code}`);
    await host.waitForIdle();
    expect((await json(links.statusQueryGetUri)).body).toMatchObject({ runtimeStatus: "Running" });
    const bare = links.statusQueryGetUri.replace(`&${code}`, "");
    expect((await json(bare)).status).toBe(401);
    const event = await fetch(links.sendEventPostUri.replace("{eventName}", "approve"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "true",
    });
    expect(event.status).toBe(202);
    await host.waitForIdle();
    expect((await json(links.statusQueryGetUri)).body).toMatchObject({ runtimeStatus: "Completed" });

    // The public start route's own 202 carries the key in its links and Location too.
    const direct = await json(`${base}/orchestrators/waitForApproval/k2?${code}`, {
      method: "POST",
      body: "1",
    });
    expect(direct.status).toBe(202);
    expect(direct.location).toBe(`${base}/instances/k2?taskHub=DurableFixtureHub&connection=Storage&${code}`);
    expect((direct.body as Record<string, string>).terminatePostUri).toBe(
      `${base}/instances/k2/terminate?reason={text}&taskHub=DurableFixtureHub&connection=Storage&${code}`,
    );
    await host.waitForIdle();
    const running = await json(`${base}/instances/k2?x-functions-key=no`, {
      headers: { "x-functions-key": "m" },
    });
    expect([running.status, running.location]).toEqual([
      202,
      `${base}/instances/k2?taskHub=DurableFixtureHub&connection=Storage&${code}`,
    ]);
  });

  test("without a configured system key one is made up, as the Functions host creates it on demand", async () => {
    host = await startHost({
      appDir: durableApp,
      port: 0,
      virtualTime: true,
      log: false,
      keys: { host: ["h"] },
    });
    const clientData = (await json(`${host.baseUrl}/api/clientData`)).body as {
      requiredQueryStringParameters: string;
      managementUrls: Record<string, string>;
    };
    const code = /code=([^&]+)$/.exec(clientData.requiredQueryStringParameters)?.[1];
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const started = await json(`${host.baseUrl}/api/start/hello/g1`, { method: "POST", body: '"x"' });
    await host.waitForIdle();
    const statusUrl = (started.body as Record<string, string>).statusQueryGetUri;
    expect(statusUrl.endsWith(`&code=${code}`)).toBe(true);
    expect((await json(statusUrl)).body).toMatchObject({ runtimeStatus: "Completed", output: "Hello, x!" });
    expect((await json(`${host.baseUrl}${WEBHOOK}/instances/g1?code=h`)).status).toBe(401);
  });

  test("the SDK's client without an rpcBaseUrl (a host on one non-loopback address) uses the keyed public URLs", async () => {
    host = await startHost({
      appDir: durableApp,
      port: 0,
      virtualTime: true,
      log: false,
      keys: { master: "m" },
    });
    const clientData = (await json(`${host.baseUrl}/api/clientData`)).body as Record<string, unknown>;
    // The package does not export the class; getClient builds it from a function's binding data.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sdk = require("durable-functions/lib/src/durableClient/DurableClient") as {
      DurableClient: new (data: unknown) => df.DurableClient;
    };
    const client = new sdk.DurableClient({ ...clientData, rpcBaseUrl: undefined });
    expect(await client.startNew("hello", { instanceId: "n1", input: "y" })).toBe("n1");
    await host.waitForIdle();
    expect(await client.getStatus("n1")).toMatchObject({ runtimeStatus: "Completed", output: "Hello, y!" });
    const keyless = new sdk.DurableClient({
      ...clientData,
      rpcBaseUrl: undefined,
      managementUrls: {
        ...(clientData.managementUrls as object),
        statusQueryGetUri: `${host.baseUrl}${WEBHOOK}/instances/INSTANCEID?taskHub=DurableFixtureHub&connection=Storage`,
      },
    });
    await expect(keyless.getStatus("n1")).rejects.toThrow("401");
  });
});
