import { createHarness, ORIGIN, TestInvoker, type Harness } from "./harness";

let h: Harness | undefined;
afterEach(async () => {
  await h?.dispose();
  h = undefined;
});

function waiter(): TestInvoker {
  return new TestInvoker().orchestration("Wait", function* (ctx) {
    const v: unknown = yield ctx.df.waitForExternalEvent("go");
    return { input: ctx.df.getInput(), v };
  });
}

const BASE = `${ORIGIN}/runtime/webhooks/durabletask`;

test("clientInput has what DurableClient needs", () => {
  h = createHarness(waiter());
  const input = h.engine.clientInput(ORIGIN);
  expect(input).toMatchObject({
    taskHubName: "TestHubName",
    rpcBaseUrl: `${BASE}/`,
    baseUrl: BASE,
    requiredQueryStringParameters: "taskHub=TestHubName&connection=Storage",
  });
  expect((input.managementUrls as Record<string, string>).statusQueryGetUri).toBe(
    `${BASE}/instances/INSTANCEID?taskHub=TestHubName&connection=Storage`,
  );
  expect((input.creationUrls as Record<string, string>).createNewInstancePostUri).toContain(
    `${BASE}/orchestrators/{functionName}[/{instanceId}]`,
  );
});

test("start returns the check-status payload; status is 202 while running and 200 when done", async () => {
  h = createHarness(waiter());
  const res = await h.call("POST", "orchestrators/Wait/abc", { n: 1 });
  expect(res.status).toBe(202);
  expect(res.body).toMatchObject({
    id: "abc",
    statusQueryGetUri: `${BASE}/instances/abc?taskHub=TestHubName&connection=Storage`,
    sendEventPostUri: `${BASE}/instances/abc/raiseEvent/{eventName}?taskHub=TestHubName&connection=Storage`,
    terminatePostUri: `${BASE}/instances/abc/terminate?reason={text}&taskHub=TestHubName&connection=Storage`,
  });
  expect(res.headers?.Location).toBe(`${BASE}/instances/abc?taskHub=TestHubName&connection=Storage`);
  await h.settle();
  const running = await h.call("GET", "instances/abc");
  expect(running.status).toBe(202);
  expect(running.body).toMatchObject({
    name: "Wait",
    instanceId: "abc",
    runtimeStatus: "Running",
    input: { n: 1 },
  });
  expect((await h.call("GET", "instances/abc?showInput=false")).body).toMatchObject({ input: null });
  await h.call("POST", "instances/abc/raiseEvent/go", "x");
  await h.settle();
  const done = await h.call("GET", "instances/abc?showHistory=true&showHistoryOutput=true");
  expect(done.status).toBe(200);
  const body = done.body as Record<string, unknown>;
  expect(body).toMatchObject({
    runtimeStatus: "Completed",
    output: { input: { n: 1 }, v: "x" },
    customStatus: null,
  });
  expect(typeof body.createdTime).toBe("string");
  const events = body.historyEvents as { EventType: string; Input?: unknown }[];
  expect(events.map((e) => e.EventType)).toEqual(["ExecutionStarted", "EventRaised", "ExecutionCompleted"]);
  expect(events[1].Input).toBe("x");
  expect((await h.call("GET", "instances/nope")).status).toBe(404);
  expect((await h.call("POST", "orchestrators/NoSuchOrchestrator")).status).toBe(400);
  expect((await h.call("POST", "instances/nope/raiseEvent/go")).status).toBe(404);
});

test("NonRunningStates (default): starting over a running instance is a 500, over a finished one replaces it", async () => {
  h = createHarness(waiter());
  await h.start("Wait", 1, "dup");
  await h.settle();
  // HttpApiHandler.HandleStartOrchestratorRequestAsync catches only JsonReaderException: DurableTask's
  // OrchestrationAlreadyExistsException reaches the handler's catch-all 500 (as Azure/azure-sdk-for-python#28602 shows).
  const dup = await h.call("POST", "orchestrators/Wait/dup", 2);
  expect(dup).toMatchObject({
    status: 500,
    body: {
      Message: "Something went wrong while processing your request",
      ExceptionMessage: "An Orchestration instance with the status Running already exists.",
      ExceptionType: "DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException",
    },
  });
  await h.call("POST", "instances/dup/raiseEvent/go", 0);
  await h.settle();
  expect((await h.call("POST", "orchestrators/Wait/dup", 3)).status).toBe(202);
  await h.settle();
  expect(await h.status("dup")).toMatchObject({ runtimeStatus: "Running", input: 3 });
});

test("AnyState: starting over a running instance replaces it", async () => {
  h = createHarness(waiter(), { overridable: "AnyState" });
  await h.start("Wait", 1, "dup");
  await h.settle();
  expect((await h.call("POST", "orchestrators/Wait/dup", 2)).status).toBe(202);
  await h.settle();
  await h.call("POST", "instances/dup/raiseEvent/go", "v");
  await h.settle();
  expect(await h.status("dup")).toMatchObject({ runtimeStatus: "Completed", output: { input: 2, v: "v" } });
});

test("suspend holds events until resume", async () => {
  h = createHarness(waiter());
  await h.start("Wait", 0, "s1");
  await h.settle();
  // Like the real host, the 202 means "queued": the suspension lands when the control message is processed.
  expect((await h.call("POST", "instances/s1/suspend?reason=pause")).status).toBe(202);
  await h.settle();
  expect((await h.status("s1")).runtimeStatus).toBe("Suspended");
  await h.call("POST", "instances/s1/raiseEvent/go", 1);
  await h.settle();
  expect((await h.status("s1")).runtimeStatus).toBe("Suspended");
  expect((await h.call("POST", "instances/s1/resume?reason=go")).status).toBe(202);
  await h.settle();
  expect(await h.status("s1")).toMatchObject({ runtimeStatus: "Completed", output: { input: 0, v: 1 } });
  expect((await h.call("POST", "instances/s1/suspend?reason=x")).status).toBe(410);
  expect((await h.call("POST", "instances/zz/resume?reason=x")).status).toBe(404);
});

test("query with filters, top and continuation tokens; purge one and by filter", async () => {
  h = createHarness(waiter());
  for (let i = 0; i < 5; i++) await h.start("Wait", i, `job-${i}`);
  await h.start("Wait", 9, "other");
  await h.settle();
  await h.call("POST", "instances/job-0/raiseEvent/go", 0);
  await h.call("POST", "instances/job-1/terminate?reason=stop");
  await h.settle();

  const page1 = await h.call("GET", "instances?instanceIdPrefix=job-&top=2");
  expect((page1.body as unknown[]).length).toBe(2);
  const token = page1.headers?.["x-ms-continuation-token"];
  expect(token).toBeDefined();
  const ids: string[] = (page1.body as { instanceId: string }[]).map((s) => s.instanceId);
  let next = token;
  while (next) {
    const page = await h.call("GET", "instances?instanceIdPrefix=job-&top=2", undefined, {
      "x-ms-continuation-token": next,
    });
    ids.push(...(page.body as { instanceId: string }[]).map((s) => s.instanceId));
    next = page.headers?.["x-ms-continuation-token"];
  }
  expect(ids.sort()).toEqual(["job-0", "job-1", "job-2", "job-3", "job-4"]);

  const running = await h.call("GET", "instances?runtimeStatus=Running,Pending");
  expect((running.body as unknown[]).length).toBe(4);
  const future = new Date(Date.now() + 3_600_000).toISOString();
  expect((await h.call("GET", `instances?createdTimeFrom=${future}`)).body).toEqual([]);

  expect(await h.call("DELETE", "instances/job-0")).toMatchObject({
    status: 200,
    body: { instancesDeleted: 1 },
  });
  expect((await h.call("DELETE", "instances/job-0")).status).toBe(404);
  // HttpApiHandler.HandleDeleteHistoryWithFiltersRequestAsync requires createdTimeFrom.
  expect(await h.call("DELETE", "instances?runtimeStatus=Terminated,Completed")).toMatchObject({
    status: 400,
    body: "Please provide value for 'createdTimeFrom' parameter.",
  });
  const since = `createdTimeFrom=${new Date(0).toISOString()}`;
  const purged = await h.call("DELETE", `instances?${since}&runtimeStatus=Terminated,Completed`);
  expect(purged).toMatchObject({ status: 200, body: { instancesDeleted: 1 } });
  expect((await h.call("DELETE", `instances?${since}&runtimeStatus=Failed`)).status).toBe(404);
});

test("an unknown route is a 404 and a route only the extension has a 501, with a JSON message", async () => {
  h = createHarness(waiter());
  expect(await h.call("GET", "whatever")).toMatchObject({
    status: 404,
    body: { message: "No Durable management route takes GET whatever." },
  });
  const res = await h.call("DELETE", "entities/counter/k");
  expect(res.status).toBe(501);
  expect(res.body).toMatchObject({ message: expect.stringContaining("DELETE entities/counter/k") });
});
