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

  expect(await rpc.runtimeStatus("rpc-job:1")).toBe("NotFound");
  await rpc.startNew("reportJob", "rpc-job:1", envelope("rpc-job"));
  await app.idle();
  expect(await rpc.runtimeStatus("rpc-job:1")).toBe("Running");
  // A second start over a running instance is refused (overridableExistingInstanceStates: NonRunningStates).
  await expect(rpc.startNew("reportJob", "rpc-job:1", envelope("rpc-job"))).rejects.toThrow("HTTP 409");
  await expect(rpc.signal("jobCoordinator", "rpc-job", "tryStart", "x")).resolves.toBeUndefined(); // accepted, fails in the entity
});

test("the coordinator client treats a second start of a live run, or terminating nothing, as done", async () => {
  const sdk = {
    terminate: () => Promise.reject(new Error("No instance with ID 'never:1' found.")),
  } as unknown as DurableClient;
  const client = durableCoordinatorClient(sdk, rpc);
  // rpc-job:1 is live (started and confirmed above): a second start is not an error for the coordinator client.
  await expect(client.startRun("reportJob", "rpc-job:1", envelope("rpc-job"))).resolves.toBeUndefined();
  await expect(client.terminate("never:1", "test")).resolves.toBeUndefined();
  expect(await client.instanceStatus("rpc-job:1")).toBe("Running");
  await app.raiseEvent("rpc-job:1", "go");
  await app.idle();
  expect(await client.instanceStatus("rpc-job:1")).toBe("Completed");
});
