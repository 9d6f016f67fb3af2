/**
 * The app's `CoordinatorClient`: entity signal and read, orchestration start and status go straight to the
 * extension's HTTP API (the binding's `rpcBaseUrl`, else its public `baseUrl`; see durableRpc.ts) over a
 * keep-alive pool; terminations, and everything for a client built without that channel, go through the SDK.
 */
import type { FunctionInput, InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import type { DurableClient } from "durable-functions";
import { randomBytes } from "node:crypto";
import type { CoordinatorClient, InstanceInfo, InstanceStatus } from "../core/coordinatorClient";
import { LIVE_STATUSES } from "../core/coordinatorClient";
import { COORDINATOR_ENTITY } from "../core/names";
import type { JobState, RunEnvelope } from "../core/types";
import { DurableRpc, isAlreadyExists, managementBaseOf } from "./durableRpc";

/** The coordinator client for a function invocation with a durable client input binding. */
export function coordinatorFor(context: InvocationContext, clientInput: FunctionInput): CoordinatorClient {
  return durableCoordinatorClient(df.getClient(context), rpcFor(context, clientInput));
}

/** The management API channel of the binding (its `rpcBaseUrl`, else its public `baseUrl`). */
export function rpcFor(context: InvocationContext, clientInput: FunctionInput): DurableRpc | undefined {
  const base = managementBaseOf(context.extraInputs.get(clientInput));
  return base ? new DurableRpc(base) : undefined;
}

function generationOf(input: unknown): number | undefined {
  const generation = (input as Partial<RunEnvelope> | null | undefined)?.generation;
  return Number.isSafeInteger(generation) ? generation : undefined;
}

function isNotFound(error: unknown): boolean {
  return /HTTP 404|status code: 404/.test((error as Error).message);
}

export function durableCoordinatorClient(client: DurableClient, rpc?: DurableRpc): CoordinatorClient {
  const instance = async (instanceId: string): Promise<InstanceInfo> => {
    if (rpc) {
      const { runtimeStatus, input } = await rpc.instance(instanceId);
      return { status: runtimeStatus as InstanceStatus, generation: generationOf(input) };
    }
    try {
      const status = await client.getStatus(instanceId, { showInput: true });
      const runtimeStatus = (status.runtimeStatus as InstanceStatus | undefined) ?? "NotFound";
      return { status: runtimeStatus, generation: generationOf(status.input) };
    } catch (error) {
      if (isNotFound(error)) return { status: "NotFound" };
      throw error;
    }
  };
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
    async startNew(orchestrator, instanceId, input) {
      if (rpc) return rpc.startNew(orchestrator, instanceId, input);
      try {
        await client.startNew(orchestrator, { instanceId, input });
        return "started";
      } catch (error) {
        const message = (error as Error).message;
        const status = Number(/status code: (\d+)/.exec(message)?.[1] ?? 0);
        if (isAlreadyExists(status, message)) return "conflict";
        throw error;
      }
    },
    instance,
    async terminate(instanceId, reason) {
      try {
        await client.terminate(instanceId, reason);
      } catch (error) {
        // A run that was never started (its starter died) or has already ended has nothing to terminate.
        if (LIVE_STATUSES.has((await instance(instanceId)).status)) throw error;
      }
    },
    newTicket: () => randomBytes(9).toString("base64url"),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => Date.now(),
  };
}
