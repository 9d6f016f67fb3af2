/**
 * The durable-functions SDK's DurableClient against the real devhost over loopback HTTP: every client method,
 * the check-status links it builds, and host.json's overridableExistingInstanceStates. Clients are built from
 * the binding data the host hands the durable-app fixture's functions; a few calls also run inside the app.
 */
import * as path from "node:path";
import * as df from "durable-functions";
import type { DurableClient } from "durable-functions";
import { startHost, type DevHost } from "../src/host";

const appDir = path.join(__dirname, "fixtures/durable-app");
const HUB = "DurableFixtureHub";
const { Running, Completed, Failed, Terminated } = df.OrchestrationRuntimeStatus;

interface Exchange {
  method: string;
  url: string;
  requestHeaders: Record<string, unknown>;
  status: number;
  headers: Record<string, unknown>;
  data: unknown;
}

interface AxiosLike {
  interceptors: {
    response: {
      use(
        onFulfilled: (response: {
          status: number;
          headers: Record<string, unknown>;
          data: unknown;
          config: { method?: string; url?: string; headers?: Record<string, unknown> };
        }) => unknown,
      ): void;
    };
  };
}

let host: DevHost;
let clientData: Record<string, unknown>;
let client: DurableClient;
/** Every HTTP exchange `client` made, in order. */
let exchanges: Exchange[];

type ClientConstructor = new (clientData: unknown) => DurableClient;

function newClient(data: unknown, log?: Exchange[]): DurableClient {
  // The package does not export the class; getClient builds it from a function's binding data.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require("durable-functions/lib/src/durableClient/DurableClient") as {
    DurableClient: ClientConstructor;
  };
  const created = new sdk.DurableClient(data);
  if (log) {
    (created as unknown as { axiosInstance: AxiosLike }).axiosInstance.interceptors.response.use((r) => {
      log.push({
        method: String(r.config.method).toUpperCase(),
        url: String(r.config.url),
        requestHeaders: { ...r.config.headers },
        status: r.status,
        headers: { ...r.headers },
        data: r.data,
      });
      return r;
    });
  }
  return created;
}

function webhook(pathAndQuery: string): string {
  return `${host.baseUrl}/runtime/webhooks/durabletask/${pathAndQuery}`;
}

/** A URL on the binding's rpcBaseUrl: the host's loopback channel, where the SDK sends its calls. */
function rpc(pathAndQuery: string): string {
  return `${host.baseUrl}/durabletask/${pathAndQuery}`;
}

function statusUrl(instanceId: string, extra = ""): string {
  return webhook(`instances/${instanceId}?taskHub=${HUB}&connection=Storage${extra}`);
}

function ids(statuses: { instanceId: string }[]): string[] {
  return statuses.map((s) => s.instanceId).sort();
}

beforeEach(async () => {
  host = await startHost({ appDir, port: 0, virtualTime: true, log: false });
  clientData = (await (await fetch(`${host.baseUrl}/api/clientData`)).json()) as Record<string, unknown>;
  exchanges = [];
  client = newClient(clientData, exchanges);
});

afterEach(async () => {
  await host.stop();
});

test("the binding data points the SDK at this host's management API", () => {
  expect(clientData).toMatchObject({
    taskHubName: HUB,
    rpcBaseUrl: rpc(""),
    baseUrl: `${host.baseUrl}/runtime/webhooks/durabletask`,
    requiredQueryStringParameters: `taskHub=${HUB}&connection=Storage`,
  });
  expect(host.config.overridableExistingInstanceStates).toBe("NonRunningStates");
});

test("startNew with and without an instance id; getStatus with history and input options", async () => {
  const generated = await client.startNew("hello", { input: "Ada" });
  expect(generated).toMatch(/^[0-9a-f]{32}$/);
  expect(await client.startNew("hello", { instanceId: "fixed-1", input: "Bob" })).toBe("fixed-1");
  expect(exchanges.map((e) => [e.method, e.url, e.status])).toEqual([
    ["POST", rpc("orchestrators/hello"), 202],
    ["POST", rpc("orchestrators/hello/fixed-1"), 202],
  ]);
  await host.waitForIdle();

  const generatedStatus = await client.getStatus(generated);
  expect([generatedStatus.runtimeStatus, generatedStatus.input, generatedStatus.output]).toEqual([
    "Completed",
    "Ada",
    "Hello, Ada!",
  ]);
  const status = await client.getStatus("fixed-1");
  expect(status).toMatchObject({
    name: "hello",
    instanceId: "fixed-1",
    runtimeStatus: "Completed",
    input: "Bob",
    output: "Hello, Bob!",
    customStatus: null,
    history: undefined,
  });
  expect(status.createdTime).toBeInstanceOf(Date);
  expect(status.lastUpdatedTime.getTime()).toBeGreaterThanOrEqual(status.createdTime.getTime());

  // The host returns `historyEvents`; DurableOrchestrationStatus 3.5.0 reads `history` and drops them
  // (Azure/azure-functions-durable-js#620), so they are checked on the raw response the SDK received.
  exchanges.length = 0;
  const withHistory = await client.getStatus("fixed-1", { showHistory: true, showHistoryOutput: true });
  expect(withHistory.history).toBeUndefined();
  expect(exchanges[0].url).toBe(rpc("instances/fixed-1?showHistory=true&showHistoryOutput=true"));
  const events = (exchanges[0].data as { historyEvents: Record<string, unknown>[] }).historyEvents;
  expect(events.map(({ Timestamp, ...rest }) => (typeof Timestamp === "string" ? rest : undefined))).toEqual([
    { EventType: "ExecutionStarted", Name: "hello", Input: "Bob" },
    { EventType: "TaskScheduled", EventId: 0, Name: "greet", Input: "Bob" },
    { EventType: "TaskCompleted", TaskScheduledId: 0, Result: "Hello, Bob!" },
    { EventType: "ExecutionCompleted", Result: "Hello, Bob!" },
  ]);
  exchanges.length = 0;
  await client.getStatus("fixed-1", { showHistory: true });
  const withoutOutputs = (exchanges[0].data as { historyEvents: Record<string, unknown>[] }).historyEvents;
  expect(withoutOutputs.map((e) => [e.EventType, "Input" in e || "Result" in e])).toEqual([
    ["ExecutionStarted", false],
    ["TaskScheduled", false],
    ["TaskCompleted", false],
    ["ExecutionCompleted", false],
  ]);

  // On the rpcBaseUrl path the SDK only sends showInput when it is true, so showInput: false still shows
  // the input (as on the real host); the webhook (managementUrls) path sends showInput=false.
  exchanges.length = 0;
  expect((await client.getStatus("fixed-1", { showInput: false })).input).toBe("Bob");
  expect(exchanges[0].url).toBe(rpc("instances/fixed-1"));
  const webhookLog: Exchange[] = [];
  const webhookClient = newClient({ ...clientData, rpcBaseUrl: undefined }, webhookLog);
  const hidden = await webhookClient.getStatus("fixed-1", { showInput: false });
  expect(webhookLog[0].url).toBe(statusUrl("fixed-1", "&showInput=false"));
  expect([hidden.input, hidden.output, hidden.runtimeStatus]).toEqual([null, "Hello, Bob!", "Completed"]);
  await expect(client.getStatus("nope")).rejects.toThrow(
    "DurableClient error: Durable Functions extension replied with HTTP 404 response. This usually means " +
      `we could not find any data associated with the instanceId provided: nope. Details: {"message":"No instance with ID 'nope' found."}`,
  );
});

test("getStatusAll and getStatusBy with runtimeStatus and createdTime filters", async () => {
  const t0 = Date.now();
  await client.startNew("hello", { instanceId: "a1", input: "1" });
  await client.startNew("hello", { instanceId: "a2", input: "2" });
  await host.advanceTime(60000);
  await client.startNew("waitForApproval", { instanceId: "w1" });
  await host.advanceTime(60000);
  await client.startNew("hello", { instanceId: "a3", input: "3" });
  await host.waitForIdle();

  const all = await client.getStatusAll();
  expect(all.map((s) => [s.instanceId, s.runtimeStatus])).toEqual([
    ["a1", "Completed"],
    ["a2", "Completed"],
    ["w1", "Running"],
    ["a3", "Completed"],
  ]);
  expect(all[0]).toMatchObject({ name: "hello", input: "1", output: "Hello, 1!" });
  expect(ids(await client.getStatusBy({ runtimeStatus: [Running] }))).toEqual(["w1"]);
  expect(ids(await client.getStatusBy({ runtimeStatus: [Completed] }))).toEqual(["a1", "a2", "a3"]);
  expect(ids(await client.getStatusBy({ runtimeStatus: [Running, Failed] }))).toEqual(["w1"]);
  expect(ids(await client.getStatusBy({ runtimeStatus: [Terminated] }))).toEqual([]);
  expect(ids(await client.getStatusBy({ createdTimeFrom: new Date(t0 + 30000) }))).toEqual(["a3", "w1"]);
  expect(
    ids(
      await client.getStatusBy({
        createdTimeFrom: new Date(t0 + 30000),
        createdTimeTo: new Date(t0 + 90000),
      }),
    ),
  ).toEqual(["w1"]);
  expect(
    ids(await client.getStatusBy({ createdTimeTo: new Date(t0 + 90000), runtimeStatus: [Completed] })),
  ).toEqual(["a1", "a2"]);
  expect(exchanges.at(-1)?.url).toBe(
    rpc(`instances/?createdTimeTo=${new Date(t0 + 90000).toISOString()}&runtimeStatus=Completed`),
  );
});

test("getStatusAll and getStatusBy follow continuation tokens across pages of 100", async () => {
  for (let i = 0; i < 105; i++) await client.startNew("hello", { instanceId: `p${i}`, input: i });
  await host.waitForIdle();
  exchanges.length = 0;
  const all = await client.getStatusAll();
  expect(all.length).toBe(105);
  expect(new Set(all.map((s) => s.instanceId)).size).toBe(105);
  expect(exchanges.map((e) => [e.url, (e.data as unknown[]).length])).toEqual([
    [rpc("instances/"), 100],
    [rpc("instances/"), 5],
  ]);
  const token = exchanges[0].headers["x-ms-continuation-token"];
  expect(typeof token).toBe("string");
  expect(exchanges[1].requestHeaders["x-ms-continuation-token"]).toBe(token);
  expect(exchanges[1].headers["x-ms-continuation-token"]).toBeUndefined();
  const completed = await client.getStatusBy({ runtimeStatus: [Completed] });
  expect(completed.length).toBe(105);
  expect(completed.every((s) => s.output === `Hello, ${String(s.input)}!`)).toBe(true);
});

test("raiseEvent, suspend, resume and terminate", async () => {
  await client.startNew("waitForApproval", { instanceId: "w", input: { n: 1 } });
  await host.waitForIdle();
  await client.suspend("w", "pause for review");
  expect((await client.getStatus("w")).runtimeStatus).toBe("Suspended");
  await client.raiseEvent("w", "approve", "yes");
  await host.waitForIdle();
  expect((await client.getStatus("w")).runtimeStatus).toBe("Suspended");
  await client.resume("w", "carry on");
  await host.waitForIdle();
  const done = await client.getStatus("w");
  expect([done.runtimeStatus, done.customStatus, done.output]).toEqual([
    "Completed",
    "approved",
    { input: { n: 1 }, approval: "yes" },
  ]);
  const history = (await (await fetch(statusUrl("w", "&showHistory=true"))).json()) as {
    historyEvents: { EventType: string; Name?: string; Reason?: string }[];
  };
  expect(history.historyEvents.map((e) => [e.EventType, e.Name ?? e.Reason ?? null])).toEqual([
    ["ExecutionStarted", "waitForApproval"],
    ["ExecutionSuspended", "pause for review"],
    ["ExecutionResumed", "carry on"],
    ["EventRaised", "approve"],
    ["ExecutionCompleted", null],
  ]);

  await client.startNew("waitForApproval", { instanceId: "t" });
  await host.waitForIdle();
  await client.terminate("t", "no longer needed");
  await host.waitForIdle();
  const terminated = await client.getStatus("t");
  expect([terminated.runtimeStatus, terminated.output]).toEqual(["Terminated", "no longer needed"]);

  // Gone (410) instances: the SDK resolves; unknown ones (404) reject.
  exchanges.length = 0;
  await expect(client.raiseEvent("t", "approve", 1)).resolves.toBeUndefined();
  await expect(client.terminate("t", "again")).resolves.toBeUndefined();
  await expect(client.suspend("w", "late")).resolves.toBeUndefined();
  await expect(client.resume("w", "late")).resolves.toBeUndefined();
  expect(exchanges.map((e) => e.status)).toEqual([410, 410, 410, 410]);
  await expect(client.raiseEvent("ghost", "approve", 1)).rejects.toThrow(
    "No instance with ID 'ghost' found.",
  );
  await expect(client.terminate("ghost", "x")).rejects.toThrow("No instance with ID 'ghost' found.");
  await expect(client.suspend("ghost", "x")).rejects.toThrow("No instance with ID 'ghost' found.");
  await expect(client.resume("ghost", "x")).rejects.toThrow("No instance with ID 'ghost' found.");
  expect((await client.getStatus("t")).output).toBe("no longer needed");
});

test("purgeInstanceHistory and purgeInstanceHistoryBy", async () => {
  const t0 = Date.now();
  await client.startNew("hello", { instanceId: "old", input: "o" });
  await client.startNew("waitForApproval", { instanceId: "live" });
  await host.advanceTime(60000);
  for (const id of ["b1", "b2", "b3"]) await client.startNew("hello", { instanceId: id, input: id });
  await client.startNew("waitForApproval", { instanceId: "live2" });
  await host.waitForIdle();

  expect(await client.purgeInstanceHistory("old")).toEqual({ instancesDeleted: 1 });
  await expect(client.getStatus("old")).rejects.toThrow("replied with HTTP 404 response");
  expect(await client.purgeInstanceHistory("old")).toEqual({ instancesDeleted: 0 });
  // Like the real host, only orchestrations in a terminal state can be purged (412 otherwise).
  await expect(client.purgeInstanceHistory("live")).rejects.toThrow(
    "The operation failed with an unexpected status code: 412. Details: " +
      `{"message":"Only orchestrations in a terminal state can be purged, but the orchestration with instance ID live has status Running"}`,
  );
  expect((await client.getStatus("live")).runtimeStatus).toBe("Running");

  const filter = { createdTimeFrom: new Date(t0 + 30000), runtimeStatus: [Completed] };
  expect(await client.purgeInstanceHistoryBy(filter)).toEqual({ instancesDeleted: 3 });
  expect(exchanges.at(-1)).toMatchObject({
    method: "DELETE",
    url: rpc(`instances/?createdTimeFrom=${filter.createdTimeFrom.toISOString()}&runtimeStatus=Completed`),
    status: 200,
  });
  expect(await client.purgeInstanceHistoryBy(filter)).toEqual({ instancesDeleted: 0 });
  expect(ids(await client.getStatusAll())).toEqual(["live", "live2"]);
});

test("signalEntity and readEntityState (existing and missing)", async () => {
  const counter = new df.EntityId("counter", "e1");
  await client.signalEntity(counter, "add", 5);
  await client.signalEntity(counter, "add", 7);
  expect(exchanges.map((e) => [e.method, e.url, e.status])).toEqual([
    ["POST", rpc("entities/counter/e1?op=add"), 202],
    ["POST", rpc("entities/counter/e1?op=add"), 202],
  ]);
  await host.waitForIdle();
  expect(await client.readEntityState(counter)).toEqual({ entityExists: true, entityState: 12 });
  const missing = await client.readEntityState(new df.EntityId("counter", "nobody"));
  expect(missing).toEqual({ entityExists: false });
  expect(missing.entityState).toBeUndefined();
  expect(exchanges.at(-1)?.status).toBe(404);
});

test("createCheckStatusResponse: the links it returns work with plain fetch", async () => {
  const res = await fetch(`${host.baseUrl}/api/start/waitForApproval/cs1`, {
    method: "POST",
    body: JSON.stringify({ n: 1 }),
  });
  expect(res.status).toBe(202);
  const links = (await res.json()) as Record<string, string>;
  const instance = webhook("instances/cs1");
  const common = `taskHub=${HUB}&connection=Storage`;
  expect(links).toEqual({
    id: "cs1",
    statusQueryGetUri: `${instance}?${common}`,
    sendEventPostUri: `${instance}/raiseEvent/{eventName}?${common}`,
    terminatePostUri: `${instance}/terminate?reason={text}&${common}`,
    rewindPostUri: `${instance}/rewind?reason={text}&${common}`,
    purgeHistoryDeleteUri: `${instance}?${common}`,
    restartPostUri: `${instance}/restart?${common}`,
    suspendPostUri: `${instance}/suspend?reason={text}&${common}`,
    resumePostUri: `${instance}/resume?reason={text}&${common}`,
  });
  expect([res.headers.get("location"), res.headers.get("retry-after")]).toEqual([
    links.statusQueryGetUri,
    "10",
  ]);
  await host.waitForIdle();

  const running = await fetch(links.statusQueryGetUri);
  expect(running.status).toBe(202);
  expect(running.headers.get("location")).toBe(links.statusQueryGetUri);
  expect(await running.json()).toMatchObject({
    instanceId: "cs1",
    runtimeStatus: "Running",
    input: { n: 1 },
  });
  const approve = links.sendEventPostUri.replace("{eventName}", "approve");
  const asJson = { "content-type": "application/json" };
  const raised = await fetch(approve, { method: "POST", headers: asJson, body: JSON.stringify("ok") });
  expect(raised.status).toBe(202);
  await host.waitForIdle();
  const done = await fetch(links.statusQueryGetUri);
  expect(done.status).toBe(200);
  expect(await done.json()).toMatchObject({
    runtimeStatus: "Completed",
    output: { input: { n: 1 }, approval: "ok" },
  });
  expect((await fetch(approve, { method: "POST", body: "1" })).status).toBe(410);
  const terminate = links.terminatePostUri.replace("{text}", "late");
  expect((await fetch(terminate, { method: "POST" })).status).toBe(410);

  const purge = await fetch(links.purgeHistoryDeleteUri, { method: "DELETE" });
  expect([purge.status, await purge.json()]).toEqual([200, { instancesDeleted: 1 }]);
  expect((await fetch(links.statusQueryGetUri)).status).toBe(404);
  expect((await fetch(approve, { method: "POST", body: "1" })).status).toBe(404);
  expect((await fetch(terminate, { method: "POST" })).status).toBe(404);

  // terminatePostUri on a running instance.
  const second = (await (
    await fetch(`${host.baseUrl}/api/start/waitForApproval/cs2`, { method: "POST" })
  ).json()) as Record<string, string>;
  await host.waitForIdle();
  const stop = await fetch(second.terminatePostUri.replace("{text}", "stop%20now"), { method: "POST" });
  expect(stop.status).toBe(202);
  await host.waitForIdle();
  const stopped = await fetch(second.statusQueryGetUri);
  expect(stopped.status).toBe(200);
  expect(await stopped.json()).toMatchObject({ runtimeStatus: "Terminated", output: "stop now" });
});

test("waitForCompletionOrCreateCheckStatusResponse: 200 with the output, or 202 on timeout", async () => {
  const fast = await fetch(`${host.baseUrl}/api/startAndWait/hello?timeout=10000&interval=20`, {
    method: "POST",
    body: JSON.stringify("Ada"),
  });
  expect(fast.status).toBe(200);
  expect(await fast.json()).toBe("Hello, Ada!");

  const slow = await fetch(`${host.baseUrl}/api/startAndWait/waitForApproval?timeout=200&interval=50`, {
    method: "POST",
    body: JSON.stringify({ n: 2 }),
  });
  expect(slow.status).toBe(202);
  const links = (await slow.json()) as Record<string, string>;
  expect(links.id).toMatch(/^[0-9a-f]{32}$/);
  expect(links.statusQueryGetUri).toBe(statusUrl(links.id));
  expect(slow.headers.get("location")).toBe(links.statusQueryGetUri);
  await host.waitForIdle();
  expect((await client.getStatus(links.id)).runtimeStatus).toBe("Running");
});

test("startNew over an existing instance id honours NonRunningStates", async () => {
  await client.startNew("waitForApproval", { instanceId: "dup", input: 1 });
  await host.waitForIdle();
  // The real host answers 500 (HttpApiHandler's catch-all; see management.test.ts), which the SDK throws.
  await expect(client.startNew("hello", { instanceId: "dup", input: "x" })).rejects.toThrow(
    "The operation failed with an unexpected status code: 500. Details: " +
      `{"Message":"Something went wrong while processing your request",` +
      `"ExceptionMessage":"An Orchestration instance with the status Running already exists.",` +
      `"ExceptionType":"DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException"}`,
  );
  const inApp = await fetch(`${host.baseUrl}/api/start/hello/dup`, { method: "POST", body: '"x"' });
  expect(inApp.status).toBe(409); // the fixture app maps any start failure to 409
  expect(((await inApp.json()) as { error: string }).error).toContain("already exists");
  expect((await client.getStatus("dup")).name).toBe("waitForApproval");

  await client.raiseEvent("dup", "approve", true);
  await host.waitForIdle();
  expect((await client.getStatus("dup")).runtimeStatus).toBe("Completed");
  expect(await client.startNew("hello", { instanceId: "dup", input: "again" })).toBe("dup");
  await host.waitForIdle();
  const replaced = await client.getStatus("dup");
  expect([replaced.name, replaced.runtimeStatus, replaced.input, replaced.output]).toEqual([
    "hello",
    "Completed",
    "again",
    "Hello, again!",
  ]);
  expect((await client.getStatusAll()).length).toBe(1);
});

test("the app's own durableClient binding reaches the host", async () => {
  const call = async (method: string, ...args: unknown[]) => {
    const res = await fetch(`${host.baseUrl}/api/client/${method}`, {
      method: "POST",
      body: JSON.stringify({ args }),
    });
    return { status: res.status, body: (await res.json()) as { result?: unknown; error?: string } };
  };
  expect(await call("startNew", "waitForApproval", { instanceId: "app1", input: "in-app" })).toEqual({
    status: 200,
    body: { result: "app1" },
  });
  await host.waitForIdle();
  expect(await call("raiseEvent", "app1", "approve", "from the app")).toEqual({
    status: 200,
    body: { result: null },
  });
  await call("signalEntity", { name: "counter", key: "app" }, "add", 3);
  await host.waitForIdle();
  const status = await call("getStatus", "app1");
  expect(status.body.result).toMatchObject({
    instanceId: "app1",
    runtimeStatus: "Completed",
    output: { input: "in-app", approval: "from the app" },
  });
  const by = await call("getStatusBy", {
    createdTimeFrom: new Date(0).toISOString(),
    runtimeStatus: ["Completed"],
  });
  expect((by.body.result as { instanceId: string }[]).map((s) => s.instanceId)).toEqual(["app1"]);
  expect(await call("readEntityState", { name: "counter", key: "app" })).toEqual({
    status: 200,
    body: { result: { entityExists: true, entityState: 3 } },
  });
  expect(await call("purgeInstanceHistory", "app1")).toEqual({
    status: 200,
    body: { result: { instancesDeleted: 1 } },
  });
  expect(await call("terminate", "app1", "gone")).toEqual({
    status: 500,
    body: { error: "No instance with ID 'app1' found." },
  });
});
