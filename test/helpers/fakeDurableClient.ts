/**
 * The parts of the SDK's DurableClient the starters use, backed by a FakeCoordinator, so the HTTP
 * handlers can be exercised status code by status code without a host.
 */
import { HttpResponse, type HttpRequest } from "@azure/functions";
import { registryShardOf } from "../../core/jobRegistry";
import type { OperationName } from "../../core/coordinator";
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
    signalEntity: (id: { name: string; key: string }, op: OperationName, input: unknown) =>
      id.name === "jobCoordinator" ? inner.signal(id.key, op, input) : Promise.resolve(),
    readEntityState: async (id: { name: string; key: string }) => {
      if (id.name === "jobRegistry") {
        const jobs = [...fake.states.keys()].filter((job) => registryShardOf(job) === id.key).sort();
        return { entityExists: jobs.length > 0, entityState: { jobs, overflow: 0 } };
      }
      const state = await inner.readState(id.key);
      return { entityExists: state !== undefined, entityState: state };
    },
    startNew: async (orchestrator: string, options: { instanceId: string; input: unknown }) => {
      const result = await inner.startNew(orchestrator, options.instanceId, options.input);
      if (result === "conflict") {
        // What the SDK throws for the real host's answer (HttpApiHandler's catch-all 500).
        throw new Error(
          'The operation failed with an unexpected status code: 500. Details: {"Message":"Something went wrong while processing your request","ExceptionMessage":"An Orchestration instance with the status Running already exists."}',
        );
      }
      return options.instanceId;
    },
    terminate: (instanceId: string, reason: string) => inner.terminate(instanceId, reason),
    getStatus: async (instanceId: string) => {
      const found = fake.instances.get(instanceId);
      if (!found)
        throw new Error("DurableClient error: Durable Functions extension replied with HTTP 404 response.");
      return { instanceId, runtimeStatus: found.status, input: found.input, output: found.output };
    },
    getStatusAll: async () =>
      [...fake.instances.entries()].map(([instanceId, i]) => ({
        instanceId,
        runtimeStatus: i.status,
        output: i.output,
      })),
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
