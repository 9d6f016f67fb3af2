/**
 * The starter's `CoordinatorClient`. The calls of every start (entity signal and read, startNew, status
 * read) go straight to the extension's HTTP API when the binding names its `rpcBaseUrl` (see
 * durableRpc.ts); terminations, and everything when there is no `rpcBaseUrl`, go through the SDK.
 */
import type { FunctionInput, InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import type { DurableClient } from "durable-functions";
import { COORDINATOR_ENTITY } from "../core/names";
import type { CoordinatorClient, InstanceStatus } from "../core/startJob";
import type { JobState, RunEnvelope } from "../core/types";
import { DurableRpc, rpcBaseUrlOf } from "./durableRpc";

const LIVE: ReadonlySet<string> = new Set(["Pending", "Running", "ContinuedAsNew", "Suspended"]);

/** The coordinator client for a function invocation with a durable client input binding. */
export function coordinatorFor(context: InvocationContext, clientInput: FunctionInput): CoordinatorClient {
  const rpcBaseUrl = rpcBaseUrlOf(context.extraInputs.get(clientInput));
  return durableCoordinatorClient(df.getClient(context), rpcBaseUrl ? new DurableRpc(rpcBaseUrl) : undefined);
}

export function durableCoordinatorClient(client: DurableClient, rpc?: DurableRpc): CoordinatorClient {
  return {
    async signal(job, operation, input) {
      if (rpc) await rpc.signal(COORDINATOR_ENTITY, job, operation, input);
      else await client.signalEntity(new df.EntityId(COORDINATOR_ENTITY, job), operation, input);
    },
    async readState(job) {
      if (rpc) return rpc.read<JobState>(COORDINATOR_ENTITY, job);
      const response = await client.readEntityState<JobState>(new df.EntityId(COORDINATOR_ENTITY, job));
      return response.entityExists ? response.entityState : undefined;
    },
    async startRun(orchestrator: string, instanceId: string, envelope: RunEnvelope) {
      try {
        if (rpc) await rpc.startNew(orchestrator, instanceId, envelope);
        else await client.startNew(orchestrator, { instanceId, input: envelope });
      } catch (error) {
        // With overridableExistingInstanceStates=NonRunningStates a live instance with this id refuses a
        // second start: that run is already under way, which is what we wanted.
        const status = await this.instanceStatus(instanceId);
        if (!LIVE.has(status)) throw error;
      }
    },
    async terminate(instanceId, reason) {
      try {
        await client.terminate(instanceId, reason);
      } catch (error) {
        // A run that was never started (its starter died) or has already ended has nothing to terminate.
        if (LIVE.has(await this.instanceStatus(instanceId))) throw error;
      }
    },
    async instanceStatus(instanceId): Promise<InstanceStatus> {
      if (rpc) return (await rpc.runtimeStatus(instanceId)) as InstanceStatus;
      try {
        const status = await client.getStatus(instanceId, { showInput: false });
        return (status.runtimeStatus as InstanceStatus | undefined) ?? "NotFound";
      } catch (error) {
        if (/HTTP 404/.test((error as Error).message)) return "NotFound";
        throw error;
      }
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => Date.now(),
  };
}
