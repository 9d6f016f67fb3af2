/**
 * The parts of the SDK's DurableClient the starters use, backed by a FakeCoordinator, so the HTTP
 * handlers can be exercised status code by status code without a host.
 */
import { HttpResponse, type HttpRequest } from "@azure/functions";
import { registryShardOf } from "../../core/jobRegistry";
import type { FakeCoordinator } from "./fakeCoordinatorClient";

const ORIGIN = "http://localhost:7071";

export function managementPayload(instanceId: string) {
  const base = `${ORIGIN}/runtime/webhooks/durabletask/instances/${instanceId}`;
  return {
    id: instanceId,
    statusQueryGetUri: `${base}?taskHub=TestHub&connection=Storage`,
    sendEventPostUri: `${base}/raiseEvent/{eventName}?taskHub=TestHub&connection=Storage`,
    terminatePostUri: `${base}/terminate?reason={text}&taskHub=TestHub&connection=Storage`,
    purgeHistoryDeleteUri: `${base}?taskHub=TestHub&connection=Storage`,
    suspendPostUri: `${base}/suspend?reason={text}&taskHub=TestHub&connection=Storage`,
    resumePostUri: `${base}/resume?reason={text}&taskHub=TestHub&connection=Storage`,
  };
}

export function fakeDurableClient(fake: FakeCoordinator) {
  const inner = fake.client();
  return {
    signalEntity: (id: { name: string; key: string }, op: string, input: unknown) =>
      id.name === "jobCoordinator" ? inner.signal(id.key, op, input) : Promise.resolve(),
    readEntityState: async (id: { name: string; key: string }) => {
      if (id.name === "jobRegistry") {
        const jobs = [...fake.states.keys()].filter((job) => registryShardOf(job) === id.key).sort();
        return { entityExists: jobs.length > 0, entityState: { jobs, overflow: 0 } };
      }
      const state = await inner.readState(id.key);
      return { entityExists: state !== undefined, entityState: state };
    },
    startNew: async (orchestrator: string, options: { instanceId: string; input: never }) => {
      const existing = fake.instances.get(options.instanceId);
      if (existing && existing.status === "Running") throw new Error("409 conflict");
      await inner.startRun(orchestrator, options.instanceId, options.input);
      return options.instanceId;
    },
    terminate: (instanceId: string, reason: string) => inner.terminate(instanceId, reason),
    getStatus: async (instanceId: string) => {
      const status = await inner.instanceStatus(instanceId);
      if (status === "NotFound")
        throw new Error("DurableClient error: Durable Functions extension replied with HTTP 404 response.");
      return { runtimeStatus: status };
    },
    createHttpManagementPayload: managementPayload,
    createCheckStatusResponse: (_request: HttpRequest, instanceId: string) => {
      const body = managementPayload(instanceId);
      return new HttpResponse({
        status: 202,
        jsonBody: body,
        headers: {
          "Content-Type": "application/json",
          Location: body.statusQueryGetUri,
          "Retry-After": "10",
        },
      });
    },
  };
}
