/**
 * The management API's answers where the instance is missing, ended or in the wrong state, as the Durable
 * extension gives them (Azure/azure-functions-durable-extension, src/WebJobs.Extensions.DurableTask):
 * HttpApiHandler.cs answers 404 / 410 with `request.CreateResponse(status)` (no body) before calling
 * DurableClient.cs, whose InvalidOperationExceptions reach HttpApiHandler's catch-all as 500 "Something went
 * wrong while processing your request". And what the SDK's DurableClient (durable-functions 3.5,
 * lib/src/durableClient/DurableClient.js) makes of each answer.
 */
import * as df from "durable-functions";
import { startFeatures, type Features } from "./featuresHost";

let f: Features;

beforeEach(async () => {
  f = await startFeatures();
});

afterEach(async () => {
  await f.stop();
});

/** One instance per state: Running (an audit waiting for "done"), Completed, Failed and Terminated. */
async function instancesInEveryState(): Promise<void> {
  const { client, host } = f;
  await client.startNew("audit", { instanceId: "running", input: "acct-r" });
  await client.startNew("packOrder", { instanceId: "completed" });
  await fetch(`${host.baseUrl}/api/payment-outage/on`, { method: "POST" });
  await client.startNew("checkout", { instanceId: "failed", input: { items: 1, amount: 5 } });
  await client.startNew("audit", { instanceId: "terminated", input: "acct-t" });
  await host.waitForIdle();
  await client.terminate("terminated", "closed");
  await host.waitForIdle();
  const states = await Promise.all(
    ["running", "completed", "failed", "terminated"].map(
      async (id) => (await client.getStatus(id)).runtimeStatus,
    ),
  );
  expect(states).toEqual(["Running", "Completed", "Failed", "Terminated"]);
}

test("terminate: 404 for an unknown instance, 410 for an ended one, both without a body", async () => {
  await instancesInEveryState();
  // HttpApiHandler.HandleTerminateInstanceRequestAsync: status null -> NotFound; IsCompletedStatus -> Gone.
  expect(await f.management("POST", "instances/ghost/terminate?reason=x")).toMatchObject({
    status: 404,
    text: "",
  });
  for (const id of ["completed", "failed", "terminated"]) {
    expect(await f.management("POST", `instances/${id}/terminate?reason=again`)).toMatchObject({
      status: 410,
      text: "",
    });
  }
  // DurableClient.js terminate(): 410 resolves, 404 rejects.
  await expect(f.client.terminate("terminated", "again")).resolves.toBeUndefined();
  await expect(f.client.terminate("ghost", "x")).rejects.toThrow("No instance with ID 'ghost' found.");
  expect((await f.client.getStatus("terminated")).output).toBe("closed");
});

test("raiseEvent: 404 unknown, 410 ended (Completed, Failed, Terminated), then the JSON checks, else 202", async () => {
  await instancesInEveryState();
  const json = { "content-type": "application/json" };
  // HttpApiHandler.HandleRaiseEventRequestAsync checks the instance first...
  expect(await f.management("POST", "instances/ghost/raiseEvent/done", "1", json)).toMatchObject({
    status: 404,
    text: "",
  });
  for (const id of ["completed", "failed", "terminated"]) {
    expect(await f.management("POST", `instances/${id}/raiseEvent/done`, "1", json)).toMatchObject({
      status: 410,
      text: "",
    });
  }
  // ...then requires application/json content...
  const plain = await f.management("POST", "instances/running/raiseEvent/done", "1", {
    "content-type": "text/plain",
  });
  expect([plain.status, JSON.parse(plain.text)]).toEqual([
    400,
    { Message: "Only application/json request content is supported" },
  ]);
  // ...that Json.NET can read (MessagePayloadDataConverter.ConvertToJToken): not an empty body either.
  const broken = await f.management("POST", "instances/running/raiseEvent/done", "{nope", json);
  expect(broken.status).toBe(400);
  expect(JSON.parse(broken.text)).toMatchObject({
    Message: "Invalid JSON content",
    ExceptionType: "Newtonsoft.Json.JsonReaderException",
  });
  const empty = await f.management("POST", "instances/running/raiseEvent/done", "", json);
  expect([empty.status, JSON.parse(empty.text)]).toEqual([
    400,
    {
      Message: "Invalid JSON content",
      ExceptionMessage: "Error reading JToken from JsonReader. Path '', line 0, position 0.",
      ExceptionType: "Newtonsoft.Json.JsonReaderException",
    },
  ]);
  expect((await f.client.getStatus("running")).runtimeStatus).toBe("Running");

  // DurableClient.js raiseEvent(): 202 and 410 resolve, 404 rejects.
  await expect(f.client.raiseEvent("completed", "done", 1)).resolves.toBeUndefined();
  await expect(f.client.raiseEvent("ghost", "done", 1)).rejects.toThrow("No instance with ID 'ghost' found.");
  await f.client.raiseEvent("running", "done", true);
  await f.host.waitForIdle();
  expect((await f.client.getStatus("running")).runtimeStatus).toBe("Completed");
});

test("suspend of a suspended instance and resume of a running one are the catch-all's 500", async () => {
  await instancesInEveryState();
  // DurableClient.SuspendAsync throws unless IsOrchestrationSuspendable (Running, Pending, ContinuedAsNew);
  // ResumeAsync unless IsOrchestrationSuspended; HttpApiHandler's catch (Exception) answers 500.
  const resumeRunning = await f.management("POST", "instances/running/resume?reason=r");
  expect([resumeRunning.status, JSON.parse(resumeRunning.text)]).toEqual([
    500,
    {
      Message: "Something went wrong while processing your request",
      ExceptionMessage:
        "Cannot resume the orchestration instance running because instance is in the Running state.",
      ExceptionType: "System.InvalidOperationException",
    },
  ]);
  expect((await f.management("POST", "instances/running/suspend?reason=s")).status).toBe(202);
  expect((await f.client.getStatus("running")).runtimeStatus).toBe("Suspended");
  const again = await f.management("POST", "instances/running/suspend?reason=s");
  expect([again.status, JSON.parse(again.text).ExceptionMessage]).toEqual([
    500,
    "Cannot suspend the orchestration instance running because instance is in the Suspended state.",
  ]);
  // Ended instances are 410 before DurableClient is asked, unknown ones 404.
  expect(await f.management("POST", "instances/completed/suspend")).toMatchObject({ status: 410, text: "" });
  expect(await f.management("POST", "instances/failed/resume")).toMatchObject({ status: 410, text: "" });
  expect(await f.management("POST", "instances/ghost/suspend")).toMatchObject({ status: 404, text: "" });

  // DurableClient.js suspend()/resume() accept 202 and 410 only: the SDK rejects the 500.
  await expect(f.client.suspend("running", "twice")).rejects.toThrow("unexpected status code: 500");
  await f.client.resume("running", "go on");
  await expect(f.client.resume("running", "twice")).rejects.toThrow("unexpected status code: 500");
  expect((await f.client.getStatus("running")).runtimeStatus).toBe("Running");
});

test("purge by id: 404 for an unknown instance, 412 for a running one (which stays), 200 for ended ones", async () => {
  await instancesInEveryState();
  expect(await f.management("DELETE", "instances/ghost")).toMatchObject({ status: 404, text: "" });
  // Purging a live orchestration is refused since Azure/azure-functions-durable-extension#3311 ("Add a
  // runtime status check to purge requests"); the devhost answers 412 with durabletask-dotnet's message.
  const live = await f.management("DELETE", "instances/running");
  expect([live.status, JSON.parse(live.text)]).toEqual([
    412,
    {
      message:
        "Only orchestrations in a terminal state can be purged, but the orchestration with instance ID running has status Running",
    },
  ]);
  expect((await f.client.getStatus("running")).runtimeStatus).toBe("Running");
  for (const id of ["completed", "failed", "terminated"]) {
    expect(await f.management("DELETE", `instances/${id}`)).toMatchObject({
      status: 200,
      text: JSON.stringify({ instancesDeleted: 1 }),
    });
  }
  // DurableClient.js purgeInstanceHistory(): 404 is "0 deleted".
  expect(await f.client.purgeInstanceHistory("completed")).toEqual({ instancesDeleted: 0 });
});

test("purge by filter needs createdTimeFrom and deletes only instances in a terminal state", async () => {
  await instancesInEveryState();
  // HttpApiHandler.HandleDeleteHistoryWithFiltersRequestAsync: no createdTimeFrom -> 400 with this string.
  const missing = await f.management("DELETE", "instances/?runtimeStatus=Completed");
  expect([missing.status, JSON.parse(missing.text)]).toEqual([
    400,
    "Please provide value for 'createdTimeFrom' parameter.",
  ]);
  const since = `createdTimeFrom=${new Date(0).toISOString()}`;
  // AzureTableTrackingStore.PurgeInstanceHistoryAsync keeps only the terminal statuses of the filter:
  // asking for Running and Completed purges the Completed one and leaves the running one alone.
  const some = await f.management("DELETE", `instances/?${since}&runtimeStatus=Running,Completed`);
  expect([some.status, JSON.parse(some.text)]).toEqual([200, { instancesDeleted: 1 }]);
  // Without a status filter, every ended instance goes; the running one stays.
  const { client } = f;
  expect(await client.purgeInstanceHistoryBy({ createdTimeFrom: new Date(0) })).toEqual({
    instancesDeleted: 2,
  });
  expect((await client.getStatusAll()).map((s) => [s.instanceId, s.runtimeStatus])).toEqual([
    ["running", "Running"],
  ]);
  // Nothing left to purge: 404, which DurableClient.js reports as 0 deleted.
  expect((await f.management("DELETE", `instances/?${since}`)).status).toBe(404);
  expect(
    await client.purgeInstanceHistoryBy({
      createdTimeFrom: new Date(0),
      runtimeStatus: [df.OrchestrationRuntimeStatus.Running],
    }),
  ).toEqual({ instancesDeleted: 0 });
});
