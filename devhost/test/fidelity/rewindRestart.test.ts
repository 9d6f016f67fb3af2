/**
 * Rewind (`POST instances/{id}/rewind`, DurableClient.js rewind) and restart (`POST instances/{id}/restart`).
 * Sources:
 * - HttpApiHandler.HandleRewindInstanceRequestAsync: 404 unknown; 410 Completed/Terminated/Canceled; else
 *   DurableClient.RewindAsync, which throws for anything but Failed ("The rewind operation is only
 *   supported on failed orchestration instances.", the catch-all's 500); then 202;
 * - the Azure Storage rewind (AzureTableTrackingStore.RewindHistoryAsync, AzureStorageOrchestrationService
 *   .RewindTaskOrchestrationAsync): failed tasks and the failed completion become GenericEvents
 *   "Rewound: <type>", failed sub-orchestrations are rewound in turn, the instance is Pending, and the
 *   deepest failed instances get a GenericEvent message with the reason: the failed tasks run again,
 *   the ones that had succeeded do not;
 * - HttpApiHandler.HandleRestartInstanceRequestAsync over DurableClient.RestartAsync: the same orchestrator
 *   with the instance's input, under a new id unless restartWithNewInstanceId=false (default true), answered
 *   with the check-status payload; an unknown id is 400 "InstanceId does not match a valid orchestration
 *   instance.".
 */
import { startFeatures, type Features } from "./featuresHost";

let f: Features;

beforeEach(async () => {
  f = await startFeatures();
});

afterEach(async () => {
  await f.stop();
});

async function outage(on: boolean): Promise<void> {
  await fetch(`${f.host.baseUrl}/api/payment-outage/${on ? "on" : "off"}`, { method: "POST" });
}

async function calls(): Promise<{ reserveStock: number; chargeCard: number }> {
  return (await (await fetch(`${f.host.baseUrl}/api/checkout-calls`)).json()) as {
    reserveStock: number;
    chargeCard: number;
  };
}

const order = { items: 2, amount: 30 };

test("a checkout failed by an outage is rewound: only the failed payment runs again", async () => {
  await outage(true);
  const id = await f.client.startNew("checkout", { instanceId: "co-1", input: order });
  await f.host.waitForIdle();
  expect((await f.client.getStatus(id)).runtimeStatus).toBe("Failed");

  // Rewound while the outage lasts: the payment is tried again and fails again.
  await f.client.rewind(id, "retry payment");
  await f.host.waitForIdle();
  expect((await f.client.getStatus(id)).runtimeStatus).toBe("Failed");
  expect(await calls()).toEqual({ reserveStock: 1, chargeCard: 2 });

  await outage(false);
  await f.client.rewind(id, "provider is back");
  await f.host.waitForIdle();
  const status = await f.client.getStatus(id);
  expect([status.runtimeStatus, status.output]).toEqual([
    "Completed",
    { reservation: "reserved 2", payment: "charged 30" },
  ]);
  expect(await calls()).toEqual({ reserveStock: 1, chargeCard: 3 });

  const rewound = (await f.history(id))
    .filter((e) => e.EventType === "GenericEvent")
    .map((e) => [e.Reason ?? e.Data, e.EventId ?? null]);
  // Each rewind: the failed task's schedule and failure and the failed completion, then the wake-up message.
  expect(rewound).toEqual([
    ["Rewound: TaskScheduled", 1],
    ["Rewound: TaskFailed", null],
    ["Rewound: ExecutionCompleted", null],
    ["retry payment", null],
    ["Rewound: TaskScheduled", 1],
    ["Rewound: TaskFailed", null],
    ["Rewound: ExecutionCompleted", null],
    ["provider is back", null],
  ]);
});

test("rewinding a storefront rewinds its failed checkout sub-orchestration too", async () => {
  await outage(true);
  const id = await f.client.startNew("storefront", { instanceId: "shop-1", input: order });
  await f.host.waitForIdle();
  expect((await f.client.getStatus(id)).runtimeStatus).toBe("Failed");
  expect((await f.client.getStatus("shop-1-checkout")).runtimeStatus).toBe("Failed");

  await outage(false);
  await f.client.rewind(id, "provider is back");
  await f.host.waitForIdle();
  expect(await f.client.getStatus("shop-1-checkout")).toMatchObject({
    runtimeStatus: "Completed",
    output: { reservation: "reserved 2", payment: "charged 30" },
  });
  expect(await f.client.getStatus(id)).toMatchObject({
    runtimeStatus: "Completed",
    output: { receipt: { reservation: "reserved 2", payment: "charged 30" } },
  });
  // The child was rewound, not started over: its reservation did not run again.
  expect(await calls()).toEqual({ reserveStock: 1, chargeCard: 2 });
  const created = (await f.history(id)).find((e) => e.EventType === "SubOrchestrationInstanceCreated");
  expect(created).toMatchObject({
    InstanceId: "shop-1-checkout",
    Reason: "Rewound: SubOrchestrationInstanceCreated",
  });
});

test("rewind answers: 404 unknown, 410 completed or terminated, 500 for a live instance", async () => {
  await f.client.startNew("packOrder", { instanceId: "done" });
  await f.client.startNew("audit", { instanceId: "live", input: "acct" });
  await f.client.startNew("audit", { instanceId: "stopped", input: "acct2" });
  await f.host.waitForIdle();
  await f.client.terminate("stopped", "x");
  await f.host.waitForIdle();
  expect(await f.management("POST", "instances/ghost/rewind?reason=r")).toMatchObject({
    status: 404,
    text: "",
  });
  expect(await f.management("POST", "instances/done/rewind?reason=r")).toMatchObject({
    status: 410,
    text: "",
  });
  expect(await f.management("POST", "instances/stopped/rewind?reason=r")).toMatchObject({
    status: 410,
    text: "",
  });
  const live = await f.management("POST", "instances/live/rewind?reason=r");
  expect([live.status, JSON.parse(live.text)]).toEqual([
    500,
    {
      Message: "Something went wrong while processing your request",
      ExceptionMessage: "The rewind operation is only supported on failed orchestration instances.",
      ExceptionType: "System.InvalidOperationException",
    },
  ]);
  // DurableClient.js rewind(): 404 rejects with its own message; other codes as unexpected.
  await expect(f.client.rewind("ghost", "r")).rejects.toThrow("No instance with ID 'ghost' found.");
  await expect(f.client.rewind("done", "r")).rejects.toThrow("unexpected status code: 410");
  expect((await f.client.getStatus("live")).runtimeStatus).toBe("Running");
});

test("restart runs the orchestrator again with the same input, under a new id or the same one", async () => {
  await f.client.startNew("checkout", { instanceId: "co-2", input: order });
  await f.host.waitForIdle();
  expect((await f.client.getStatus("co-2")).runtimeStatus).toBe("Completed");

  const fresh = await f.management("POST", "instances/co-2/restart");
  expect(fresh.status).toBe(202);
  const payload = JSON.parse(fresh.text) as { id: string; statusQueryGetUri: string };
  expect(payload.id).toMatch(/^[0-9a-f]{32}$/);
  expect(payload.statusQueryGetUri).toBe(
    f.webhook(`instances/${payload.id}?taskHub=FeaturesHub&connection=Storage`),
  );
  expect(fresh.headers.get("location")).toBe(payload.statusQueryGetUri);

  const same = await f.management("POST", "instances/co-2/restart?restartWithNewInstanceId=false");
  expect([same.status, (JSON.parse(same.text) as { id: string }).id]).toEqual([202, "co-2"]);
  await f.host.waitForIdle();
  for (const id of [payload.id, "co-2"]) {
    expect(await f.client.getStatus(id)).toMatchObject({
      name: "checkout",
      runtimeStatus: "Completed",
      input: order,
      output: { reservation: "reserved 2", payment: "charged 30" },
    });
  }
  expect(await calls()).toEqual({ reserveStock: 3, chargeCard: 3 });

  const unknown = await f.management("POST", "instances/ghost/restart");
  expect([unknown.status, JSON.parse(unknown.text)]).toEqual([
    400,
    {
      Message: "InstanceId does not match a valid orchestration instance.",
      ExceptionMessage: "An orchestrastion with the instanceId ghost was not found.",
      ExceptionType: "System.ArgumentException",
    },
  ]);
});
