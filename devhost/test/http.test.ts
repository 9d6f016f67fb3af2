import * as path from "node:path";
import { startHost, type DevHost } from "../src/host";
import { createStubEngine, type StubEngine } from "./stubEngine";

const appDir = path.join(__dirname, "fixtures/runtime-app");

interface FixtureState {
  appStarts: number;
  preHooks: number;
  postHooks: number;
}
const fixture = (): FixtureState =>
  (globalThis as unknown as { __runtimeFixture: FixtureState }).__runtimeFixture;

let host: DevHost;
let engine: StubEngine;
const logs: string[] = [];

beforeAll(async () => {
  process.env.TICK_SCHEDULE = "0 */5 * * * *";
  const stub = createStubEngine();
  engine = stub.engine;
  host = await startHost({
    appDir,
    port: 0,
    createEngine: stub.factory,
    log: (level, message) => logs.push(`${level}: ${message}`),
  });
});

afterAll(async () => {
  await host.stop();
});

interface Described {
  function: string;
  params: Record<string, string>;
}

async function described(pathAndQuery: string, init?: RequestInit): Promise<Described> {
  return (await get(pathAndQuery, init)).json() as Promise<Described>;
}

async function get(pathAndQuery: string, init?: RequestInit): Promise<Response> {
  return fetch(host.baseUrl + pathAndQuery, init);
}

test("serves a function at its default route with query, headers and body", async () => {
  const res = await get("/api/hello?tag=a&tag=b&x=1", {
    method: "POST",
    headers: { "x-test": "header-value" },
    body: "payload",
  });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/json");
  expect(await res.json()).toEqual({
    function: "hello",
    method: "POST",
    url: `${host.baseUrl}/api/hello?tag=a&tag=b&x=1`,
    params: {},
    // The host joins a repeated query name with "," (StringValues.ToString() in GrpcMessageConversionExtensions.cs
    // ToRpcHttp; nodejs-library issue #168), and @azure/functions reads the query from that map.
    query: { tag: "a,b", x: "1" },
    tags: ["a,b"],
    header: "header-value",
    body: "payload",
  });
});

test("matches route templates with constraints and optional parameters", async () => {
  const a = await described("/api/echo/42/bob");
  expect(a.params).toEqual({ id: "42", name: "bob" });
  const b = await described("/api/echo/42");
  expect(b.params).toEqual({ id: "42" });
  expect((await get("/api/echo/notanint")).status).toBe(404);
  const c = await described("/api/files/a/b/c.txt");
  expect(c.params).toEqual({ path: "a/b/c.txt" });
  const d = await described("/api/items/3f2504e0-4f89-11d3-9a0c-0305e82c3301");
  expect(d.function).toBe("itemById");
  const e = await described("/api/items/widget");
  expect(e.function).toBe("itemByName");
  const f = await described("/api/ITEMS/special");
  expect(f.function).toBe("itemSpecial");
  const g = await described("/api/items/a%20b", { method: "DELETE" });
  expect(g).toMatchObject({ function: "removeItem", params: { name: "a b" } });
});

test("routes by method and answers unknown routes with a JSON 404", async () => {
  const res = await get("/api/echo/1", { method: "DELETE" });
  expect(res.status).toBe(404);
  expect(await res.json()).toEqual({ error: "NotFound", message: "No function matches DELETE /api/echo/1" });
  expect((await get("/nope")).status).toBe(404);
  expect((await get("/api/items/123")).status).toBe(404);
});

test("writes status, headers, cookies and body from HttpResponseInit", async () => {
  const res = await get("/api/cookies");
  expect(res.status).toBe(201);
  expect(res.headers.get("x-custom")).toBe("yes");
  // ASP.NET Core's Set-Cookie format, as the host writes it (see serializeCookie in devhost/http/responses.ts).
  expect(res.headers.getSetCookie()).toEqual([
    "session=a%20b; max-age=60; path=/; samesite=strict; httponly",
    "theme=dark; path=/",
  ]);
  expect(await res.text()).toBe("made");
});

test("parses JSON bodies through the library's HttpRequest", async () => {
  const res = await get("/api/json", { method: "POST", body: JSON.stringify({ a: [1, 2] }) });
  expect(await res.json()).toEqual({ received: { a: [1, 2] } });
});

test("a throwing function gives a 500 with its message; no response gives 204", async () => {
  const res = await get("/api/boom");
  expect(res.status).toBe(500);
  expect(await res.json()).toEqual({ error: "FunctionInvocationError", function: "boom", message: "kaboom" });
  expect(logs.some((l) => l.startsWith("error: Executed 'boom' (Failed): kaboom"))).toBe(true);
  const none = await get("/api/nothing");
  expect(none.status).toBe(204);
});

test("reports host status", async () => {
  const res = await get("/admin/host/status");
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ state: "Running" });
});

test("mounts the management API at the webhook path and at the loopback rpc channel", async () => {
  const res = await get("/runtime/webhooks/durabletask/instances/abc%2F1?showHistory=true", {
    method: "POST",
    body: "{}",
  });
  expect(res.status).toBe(202);
  expect(res.headers.get("x-stub")).toBe("1");
  expect(await res.json()).toEqual({ method: "POST", path: "instances/abc%2F1", body: "{}" });
  const req = engine.requests[engine.requests.length - 1];
  expect(req.query.get("showHistory")).toBe("true");
  expect(req.origin).toBe(host.baseUrl);
  const rpc = await get("/durabletask/orchestrators/sayHello");
  expect(await rpc.json()).toEqual({ method: "GET", path: "orchestrators/sayHello", body: "" });
  // The engine's own rpcBaseUrl path is not mounted: the runtime's channel replaces it in the binding.
  expect((await get("/rpc/durabletask/orchestrators/sayHello")).status).toBe(404);
});

test("hands the engine the hub name and fills the durable client input", async () => {
  expect(engine.options).toMatchObject({
    hubName: "RuntimeFixtureHub",
    overridableExistingInstanceStates: "AnyState",
    webhookPath: "/runtime/webhooks/durabletask",
  });
  const res = await get("/api/clientInfo");
  expect(await res.json()).toEqual({
    taskHubName: "RuntimeFixtureHub",
    rpcBaseUrl: `${host.baseUrl}/durabletask/`,
  });
  expect(process.env.WEBSITE_HOSTNAME).toBe(`127.0.0.1:${host.port}`);
});

test("runs app hooks", async () => {
  const before = fixture().preHooks;
  await get("/api/hello");
  expect(fixture().appStarts).toBe(1);
  expect(fixture().preHooks).toBe(before + 1);
  expect(fixture().postHooks).toBe(fixture().preHooks);
});
