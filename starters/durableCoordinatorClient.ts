/** The starter's `CoordinatorClient` on top of the durable-functions DurableClient. */
import * as df from "durable-functions";
import type { DurableClient } from "durable-functions";
import { COORDINATOR_ENTITY } from "../core/names";
import type { CoordinatorClient, InstanceStatus } from "../core/startJob";
import type { JobState, RunEnvelope } from "../core/types";

const LIVE: ReadonlySet<string> = new Set(["Pending", "Running", "ContinuedAsNew", "Suspended"]);

export function durableCoordinatorClient(client: DurableClient): CoordinatorClient {
  return {
    async signal(job, operation, input) {
      await client.signalEntity(new df.EntityId(COORDINATOR_ENTITY, job), operation, input);
    },
    async readState(job) {
      const response = await client.readEntityState<JobState>(new df.EntityId(COORDINATOR_ENTITY, job));
      return response.entityExists ? response.entityState : undefined;
    },
    async startRun(orchestrator: string, instanceId: string, envelope: RunEnvelope) {
      try {
        await client.startNew(orchestrator, { instanceId, input: envelope });
      } catch (error) {
        // With overridableExistingInstanceStates=NonRunningStates a live instance with this id refuses a
        // second start: that run is already under way, which is what we wanted.
        const status = await this.instanceStatus(instanceId);
        if (!LIVE.has(status)) throw error;
      }
    },
    async terminate(instanceId, reason) {
      await client.terminate(instanceId, reason);
    },
    async instanceStatus(instanceId): Promise<InstanceStatus> {
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
