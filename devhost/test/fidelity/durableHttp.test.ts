/**
 * Durable HTTP (`context.df.callHttp`) against HTTP functions of the same devhost (loopback). Sources:
 * - the call is the built-in activity "BuiltIn::HttpActivity" (HttpOptions.HttpTaskActivityReservedName);
 *   TaskHttpActivityShim sends the request (Content-Type from the request headers, text/plain by default)
 *   and answers a DurableHttpResponse: statusCode, the response's own headers (not its content headers,
 *   DurableHttpResponse.CreateDurableHttpResponseWithHttpResponseMessage) and the content as text;
 * - the 202 pattern (DurableOrchestrationContext.CallHttpAsync; durable-functions' CallHttpWithPollingTask
 *   with OOProc schema V3+): while the answer is 202 with a Location, wait Retry-After seconds on a durable
 *   timer, then GET the Location with the original headers minus x-functions-key
 *   (CreateLocationPollRequest); `enablePolling: false` returns the 202 itself;
 * - a request that cannot be sent fails the task (HttpRequestException -> TaskFailureException);
 * - a managed identity tokenSource needs Azure AD, which the devhost does not have: the task fails.
 */
import * as net from "node:net";
import { startFeatures, type Features } from "./featuresHost";

let f: Features;

beforeEach(async () => {
  f = await startFeatures();
});

afterEach(async () => {
  await f.stop();
});

interface ReceivedRequest {
  method: string;
  path: string;
  contentType: string | null;
  functionsKey: string | null;
  tenant: string | null;
}

async function received(): Promise<ReceivedRequest[]> {
  return (await (await fetch(`${f.host.baseUrl}/api/report-requests`)).json()) as ReceivedRequest[];
}

test("a 202 with Location is polled every Retry-After seconds until the report is ready", async () => {
  const id = await f.client.startNew("buildReport", {
    input: { baseUrl: f.host.baseUrl, title: "Q3", pollsNeeded: 2 },
  });
  await f.host.waitForIdle();
  expect((await f.client.getStatus(id)).runtimeStatus).toBe("Running");
  // The submission went out as the orchestrator wrote it.
  expect(await received()).toEqual([
    {
      method: "POST",
      path: "/api/reports",
      contentType: "application/json",
      functionsKey: "submit-key",
      tenant: "contoso",
    },
  ]);

  // Retry-After: 5 -> nothing before five seconds (the clock also runs in real time: leave some slack),
  // then one GET of the Location per 202.
  await f.host.advanceTime(3000);
  expect(await received()).toHaveLength(1);
  await f.host.advanceTime(2000);
  expect(await received()).toHaveLength(2);
  await f.host.advanceTime(5000);
  expect((await f.client.getStatus(id)).runtimeStatus).toBe("Running");
  await f.host.advanceTime(5000);
  const polls = (await received()).slice(1);
  expect(polls).toEqual(
    [1, 2, 3].map(() => ({
      method: "GET",
      path: "/api/reports/1",
      contentType: null,
      functionsKey: null,
      tenant: "contoso",
    })),
  );
  const status = await f.client.getStatus(id);
  expect(status.runtimeStatus).toBe("Completed");
  expect(status.output).toEqual({
    statusCode: 200,
    reportId: "1",
    // Content-Type is a content header: not among DurableHttpResponse.headers.
    contentType: null,
    report: { title: "Q3", rows: 3, polls: 2 },
  });

  const history = await f.history(id);
  const shape = history
    .filter((e) =>
      ["TaskScheduled", "TaskCompleted", "TimerCreated", "TimerFired"].includes(String(e.EventType)),
    )
    .map((e) => [e.EventType, e.EventId ?? e.TaskScheduledId ?? e.TimerId, e.Name ?? null]);
  expect(shape).toEqual([
    ["TaskScheduled", 0, "BuiltIn::HttpActivity"],
    ["TaskCompleted", 0, null],
    ["TimerCreated", 1, null],
    ["TimerFired", 1, null],
    ["TaskScheduled", 2, "BuiltIn::HttpActivity"],
    ["TaskCompleted", 2, null],
    ["TimerCreated", 3, null],
    ["TimerFired", 3, null],
    ["TaskScheduled", 4, "BuiltIn::HttpActivity"],
    ["TaskCompleted", 4, null],
    ["TimerCreated", 5, null],
    ["TimerFired", 5, null],
    ["TaskScheduled", 6, "BuiltIn::HttpActivity"],
    ["TaskCompleted", 6, null],
  ]);
  const firstAnswer = history.find((e) => e.EventType === "TaskCompleted")?.Result as Record<string, unknown>;
  expect(firstAnswer).toMatchObject({
    statusCode: 202,
    headers: { Location: `${f.host.baseUrl}/api/reports/1`, "Retry-After": "5" },
    content: JSON.stringify({ id: "1" }),
  });
});

test("with polling disabled the 202 is the answer; a string body goes as text/plain", async () => {
  const id = await f.client.startNew("fileReport", { input: { baseUrl: f.host.baseUrl, title: "Q4" } });
  await f.host.waitForIdle();
  const status = await f.client.getStatus(id);
  expect(status.runtimeStatus).toBe("Completed");
  expect(status.output).toEqual({
    statusCode: 202,
    location: `${f.host.baseUrl}/api/reports/1`,
    body: JSON.stringify({ id: "1" }),
  });
  expect(await received()).toEqual([
    { method: "POST", path: "/api/reports", contentType: "text/plain", functionsKey: null, tenant: null },
  ]);
  expect(f.host.clock.pendingTimers()).toBe(0);
});

test("a managed identity token cannot be had: the task fails and the orchestrator sees why", async () => {
  const id = await f.client.startNew("listSubscriptions");
  await f.host.waitForIdle();
  const status = await f.client.getStatus(id);
  expect(status.runtimeStatus).toBe("Completed");
  expect(status.output).toMatchObject({
    ok: false,
    error: expect.stringContaining(
      "The devhost cannot get a managed identity token for resource 'https://management.core.windows.net/.default'",
    ),
  });
});

test("a service that refuses the connection fails the task", async () => {
  // A port nobody listens on: take a free one and close it again.
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const id = await f.client.startNew("pingDownService", { input: `http://127.0.0.1:${port}/health` });
  await f.host.waitForIdle();
  expect((await f.client.getStatus(id)).output).toMatch(/^unreachable: .*ECONNREFUSED/);
});
