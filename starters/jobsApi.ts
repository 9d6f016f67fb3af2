/**
 * The job API:
 * - `POST /api/jobs/{jobName}/start` `{orchestrator, input, policy, idempotencyKey}` (or `Idempotency-Key`)
 * - `GET /api/jobs/{jobName}`: the job's state for dashboards
 * - `GET /api/jobs`: every job name (from the registry entity; JavaScript clients cannot list entities)
 * - `POST /api/jobs/{jobName}/release` (admin): force-release the lock
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import type { DurableClient } from "durable-functions";
import { randomUUID } from "node:crypto";
import { settings } from "../core/config";
import { mergeRegistries, registryShardKeys, type RegistryState } from "../core/jobRegistry";
import { jobView } from "../core/jobView";
import { releaseJob } from "../core/releaseJob";
import { REGISTRY_ENTITY } from "../core/names";
import { knownOrchestrators } from "../core/orchestratorCatalog";
import { startJob } from "../core/startJob";
import {
  apiError,
  isApiError,
  parseReleaseRequest,
  parseStartRequest,
  validateJobName,
  type ApiError,
} from "../core/validation";
import { coordinatorFor } from "./durableCoordinatorClient";
import { errorResponse, json, readBody, retryAfterSeconds } from "./httpResponses";

const clientInput = df.input.durableClient();

/** The check-status payload with URLs on the origin the caller used (as createCheckStatusResponse does). */
function managementPayload(
  client: DurableClient,
  request: HttpRequest,
  instanceId: string,
): Record<string, string> {
  const origin = new URL(request.url).origin;
  const payload = client.createHttpManagementPayload(instanceId) as unknown as Record<string, string>;
  return Object.fromEntries(
    Object.entries(payload).map(([k, v]) => [
      k,
      /^https?:\/\//.test(v) ? origin + v.slice(new URL(v).origin.length) : v,
    ]),
  );
}

function statusUrl(client: DurableClient, request: HttpRequest) {
  return (instanceId: string) => managementPayload(client, request, instanceId).statusQueryGetUri;
}

/** The job name from the route and the body (at most 64 KB) of a POST to a job. */
async function readJobRequest(request: HttpRequest): Promise<{ job: string; body: string } | ApiError> {
  const job = request.params.jobName;
  const invalid = validateJobName(job);
  if (invalid) return invalid;
  const body = await readBody(request);
  return isApiError(body) ? body : { job, body };
}

export async function startJobHttp(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const read = await readJobRequest(request);
  if (isApiError(read)) return errorResponse(read);
  const { job, body } = read;
  const s = settings();
  const parsed = parseStartRequest(
    body,
    request.headers.get("idempotency-key"),
    s.defaultPolicy,
    knownOrchestrators(),
  );
  if (isApiError(parsed)) return errorResponse(parsed);

  const client = df.getClient(context);
  const requestId = parsed.idempotencyKey ?? randomUUID();
  const outcome = await startJob(
    coordinatorFor(context, clientInput),
    job,
    { requestId, orchestrator: parsed.orchestrator, input: parsed.input, policy: parsed.policy },
    { waitBudgetMs: s.waitBudgetMs, poll: s.poll },
  );
  const url = statusUrl(client, request);
  switch (outcome.kind) {
    case "started": {
      context.log(`Job '${job}': started generation ${outcome.generation} as '${outcome.instanceId}'.`);
      return json(
        202,
        {
          status: "started",
          job,
          requestId,
          generation: outcome.generation,
          instanceId: outcome.instanceId,
          ...(outcome.replaced ? { replaced: outcome.replaced } : {}),
          ...managementPayload(client, request, outcome.instanceId),
        },
        { Location: url(outcome.instanceId) },
      );
    }
    case "queued":
      return json(202, {
        status: "queued",
        job,
        requestId,
        position: outcome.position,
        holder: { ...outcome.holder, statusQueryGetUri: url(outcome.holder.instanceId) },
      });
    case "existing":
      return json(200, {
        status: "existing",
        job,
        requestId,
        generation: outcome.holder.generation,
        instanceId: outcome.holder.instanceId,
        phase: outcome.holder.phase,
        statusQueryGetUri: url(outcome.holder.instanceId),
      });
    case "rejected":
      return json(409, {
        error: outcome.reason === "queueFull" ? "queue full" : "job is running",
        detail:
          outcome.reason === "queueFull"
            ? `job '${job}' is held by generation ${outcome.holder.generation} and its queue is full`
            : `job '${job}' is held by generation ${outcome.holder.generation}`,
        job,
        requestId,
        holder: { ...outcome.holder, statusQueryGetUri: url(outcome.holder.instanceId) },
      });
    case "timeout":
      return errorResponse(
        apiError(
          503,
          "decision pending",
          `no decision within ${s.waitBudgetMs} ms; retry with the same idempotency key (${requestId})`,
        ),
        { "Retry-After": retryAfterSeconds(s.waitBudgetMs) },
      );
  }
}

export async function getJob(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const job = request.params.jobName;
  const invalid = validateJobName(job);
  if (invalid) return errorResponse(invalid);
  const client = df.getClient(context);
  const state = await coordinatorFor(context, clientInput).readState(job);
  if (!state)
    return errorResponse(apiError(404, "unknown job", `no job named '${job}' has been started`, "jobName"));
  return json(200, jobView(state, statusUrl(client, request)));
}

export async function listJobs(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const client = df.getClient(context);
  const shards = await Promise.all(
    registryShardKeys().map(async (key) => {
      const response = await client.readEntityState<RegistryState>(new df.EntityId(REGISTRY_ENTITY, key));
      return response.entityExists ? response.entityState : undefined;
    }),
  );
  const registry = mergeRegistries(shards);
  return json(200, { jobs: registry.jobs, count: registry.jobs.length, unregistered: registry.overflow });
}

export async function releaseJobHttp(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const read = await readJobRequest(request);
  if (isApiError(read)) return errorResponse(read);
  const { job, body } = read;
  const reason = parseReleaseRequest(body);
  if (isApiError(reason)) return errorResponse(reason);
  const s = settings();
  const outcome = await releaseJob(coordinatorFor(context, clientInput), job, reason, {
    waitBudgetMs: s.waitBudgetMs,
    poll: s.poll,
  });
  switch (outcome.kind) {
    case "unknownJob":
      return errorResponse(apiError(404, "unknown job", `no job named '${job}' has been started`, "jobName"));
    case "notHeld":
      return errorResponse(apiError(409, "not held", `job '${job}' has no active run to release`));
    case "timeout":
      return errorResponse(
        apiError(
          503,
          "release pending",
          `the release was sent but not yet applied within ${s.waitBudgetMs} ms`,
        ),
        { "Retry-After": retryAfterSeconds(s.waitBudgetMs) },
      );
    case "released": {
      const { released, promoted } = outcome;
      context.warn(`Job '${job}': generation ${released.generation} force-released (${reason}).`);
      return json(200, {
        status: "released",
        job,
        released: { generation: released.generation, instanceId: released.instanceId },
        ...(promoted
          ? { promoted: { generation: promoted.generation, instanceId: promoted.instanceId } }
          : {}),
      });
    }
  }
}

app.http("jobStart", {
  route: "jobs/{jobName}/start",
  methods: ["POST"],
  authLevel: "function",
  extraInputs: [clientInput],
  handler: startJobHttp,
});

app.http("jobRelease", {
  route: "jobs/{jobName}/release",
  methods: ["POST"],
  authLevel: "admin",
  extraInputs: [clientInput],
  handler: releaseJobHttp,
});

app.http("jobGet", {
  route: "jobs/{jobName}",
  methods: ["GET"],
  authLevel: "function",
  extraInputs: [clientInput],
  handler: getJob,
});

app.http("jobList", {
  route: "jobs",
  methods: ["GET"],
  authLevel: "function",
  extraInputs: [clientInput],
  handler: listJobs,
});
