/**
 * Orchestration versioning: every instance gets a version when it is created, which the orchestrator reads
 * as `context.df.version` (durable-functions reads ExecutionStarted.Version, DurableOrchestrationContext
 * .extractVersionFromHistory). Sources:
 * - host.json `extensions.durableTask.defaultVersion` is the version of new orchestrations and
 *   sub-orchestrations (Durable Functions docs, "Orchestration versioning": "all new orchestrations and
 *   sub-orchestrations ... get the version from defaultVersion");
 * - an explicit version wins: `startNew({ version })` sends it as the `version` query parameter
 *   (DurableClient.js startNew; HttpApiHandler since Azure/azure-functions-durable-extension#3213) and
 *   `callSubOrchestrator(name, input, id, version)` puts it on the action (durable-js#658);
 * - continueAsNew keeps the instance's version (DurableTask.Core's ContinueAsNew without a new version).
 * The features-app fixture's host.json sets defaultVersion "2.0".
 */
import { createHarness, TestInvoker, type Harness } from "../durable/harness";
import { startFeatures, type Features } from "./featuresHost";

let f: Features | undefined;
let h: Harness | undefined;

afterEach(async () => {
  await f?.stop();
  await h?.dispose();
  f = undefined;
  h = undefined;
});

test("without a version, an order gets host.json's defaultVersion, and so does its sub-orchestration", async () => {
  f = await startFeatures();
  const id = await f.client.startNew("shipOrder", { input: { sku: "A1" } });
  await f.host.waitForIdle();
  const status = await f.client.getStatus(id);
  expect(status.runtimeStatus).toBe("Completed");
  expect(status.output).toEqual({
    version: "2.0",
    steps: ["validate", "discount", "charge"],
    packedWith: "2.0",
    legacyPackedWith: "1.0",
  });
  const created = (await f.history(id)).filter((e) => e.EventType === "SubOrchestrationInstanceCreated");
  expect(created.map((e) => e.Name)).toEqual(["packOrder", "packOrder"]);
});

test("a version given at start wins over defaultVersion: SDK startNew and the app's own starter", async () => {
  f = await startFeatures();
  const pinned = await f.client.startNew("shipOrder", { input: { sku: "B2" }, version: "1.0" });
  const res = await fetch(`${f.host.baseUrl}/api/orders?version=1.0`, {
    method: "POST",
    body: JSON.stringify({ sku: "C3" }),
  });
  expect(res.status).toBe(202);
  const viaStarter = ((await res.json()) as { id: string }).id;
  // The management API itself takes `version` on the start route, as DurableClient.js sends it.
  const raw = await f.management(
    "POST",
    "orchestrators/shipOrder/raw-1?version=1.0",
    JSON.stringify({ sku: "D4" }),
  );
  expect(raw.status).toBe(202);
  await f.host.waitForIdle();
  for (const id of [pinned, viaStarter, "raw-1"]) {
    expect((await f.client.getStatus(id)).output).toEqual({
      version: "1.0",
      steps: ["validate", "charge"],
      packedWith: "2.0",
      legacyPackedWith: "1.0",
    });
  }
});

test("continueAsNew keeps the instance's version", async () => {
  f = await startFeatures();
  const id = await f.client.startNew("reorderLoop", { input: 0, version: "1.5" });
  await f.host.waitForIdle();
  await f.host.advanceTime(1000);
  await f.host.advanceTime(1000);
  const status = await f.client.getStatus(id);
  expect([status.runtimeStatus, status.output]).toEqual(["Completed", { round: 2, version: "1.5" }]);
});

test("without defaultVersion, instances have the empty version", async () => {
  // DurableClient.StartNewAsync creates instances with DefaultVersion, "" (DurableOrchestrationContext.cs).
  h = createHarness(
    new TestInvoker().orchestration("Which", function* (ctx) {
      yield ctx.df.createTimer(ctx.df.currentUtcDateTime);
      return { version: ctx.df.version };
    }),
  );
  const id = await h.start("Which");
  await h.settle();
  expect((await h.status(id)).output).toEqual({ version: "" });
});
