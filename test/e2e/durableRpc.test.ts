/**
 * The starters' HTTP client for the extension's API (starters/durableRpc.ts) against the devhost, and the
 * coordinator client's tolerance of a second start or a terminate of nothing.
 */
import type { DurableClient } from "durable-functions";
import { durableCoordinatorClient } from "../../starters/durableCoordinatorClient";
import { DurableRpc } from "../../starters/durableRpc";
import { AppClient, WEBHOOKS } from "./appHost";

let app: AppClient;
let rpc: DurableRpc;

beforeAll(async () => {
  app = await AppClient.start();
  rpc = new DurableRpc(`${app.host.baseUrl}${WEBHOOKS}/`);
});
afterAll(() => app.stop());

const envelope = (job: string) => ({ job, generation: 1, input: { waitForEvent: "go" } });

test("signal, read, startNew and status over rpcBaseUrl", async () => {
  expect(await rpc.read("jobCoordinator", "rpc-job")).toBeUndefined();
  await rpc.signal("jobCoordinator", "rpc-job", "tryStart", {
    requestId: "r1",
    orchestrator: "reportJob",
    policy: "reject",
  });
  await app.idle();
  const state = await rpc.read<{ requests: unknown[] }>("jobCoordinator", "rpc-job");
  expect(state?.requests).toEqual([["r1", "s", 1]]);

  expect(await rpc.instance("rpc-job:1")).toEqual({ runtimeStatus: "NotFound" });
  expect(await rpc.startNew("reportJob", "rpc-job:1", envelope("rpc-job"))).toBe("started");
  await app.idle();
  expect(await rpc.instance("rpc-job:1")).toEqual({ runtimeStatus: "Running", input: envelope("rpc-job") });
  // A second start over a running instance is refused (overridableExistingInstanceStates: NonRunningStates).
  expect(await rpc.startNew("reportJob", "rpc-job:1", envelope("rpc-job"))).toBe("conflict");
  await expect(rpc.startNew("noSuchOrchestrator", "x", {})).rejects.toThrow("HTTP 400");
  expect(await rpc.instancesWithPrefix("rpc-job:")).toEqual([
    expect.objectContaining({ instanceId: "rpc-job:1", runtimeStatus: "Running" }),
  ]);
  await expect(rpc.signal("jobCoordinator", "rpc-job", "tryStart", "x")).resolves.toBeUndefined(); // accepted, fails in the entity
});

test("the coordinator client: a second start of a live run is a conflict, terminating nothing is done", async () => {
  const sdk = {
    terminate: () => Promise.reject(new Error("No instance with ID 'never:1' found.")),
  } as unknown as DurableClient;
  const client = durableCoordinatorClient(sdk, rpc);
  // rpc-job:1 is live (started above): a second start creates nothing.
  expect(await client.startNew("reportJob", "rpc-job:1", envelope("rpc-job"))).toBe("conflict");
  await expect(client.terminate("never:1", "test")).resolves.toBeUndefined();
  expect(await client.instance("rpc-job:1")).toEqual({ status: "Running", generation: 1 });
  await app.raiseEvent("rpc-job:1", "go");
  await app.idle();
  expect(await client.instance("rpc-job:1")).toEqual({ status: "Completed", generation: 1 });
});
