/**
 * The job API:
 * - `POST /api/jobs/{jobName}/start` `{orchestrator, input, policy, idempotencyKey}` (or `Idempotency-Key`)
 * - `GET /api/jobs/{jobName}/requests/{requestId}`: the answer of a request that was answered `pending`
 * - `GET /api/jobs/{jobName}`: the job's state for dashboards
 * - `GET /api/jobs`: every job name (from the registry entity; JavaScript clients cannot list entities)
 * - `POST /api/jobs/{jobName}/release` (admin): force-release the lock
 * - `POST /api/jobs/{jobName}/pause` / `resume` (admin): refuse new starts until resumed
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { randomUUID } from "node:crypto";
import { initialState } from "../core/boundedState";
import { settings, startOptions } from "../core/config";
import type { FollowUpResult } from "../core/followUp";
import { mergeRegistries, registryShardKeys, type RegistryState } from "../core/jobRegistry";
import { jobView } from "../core/jobView";
import { pauseJob, resumeJob } from "../core/pauseJob";
import { REGISTRY_ENTITY } from "../core/names";
import { knownOrchestrators } from "../core/orchestratorCatalog";
import { releaseJob } from "../core/releaseJob";
import { findRelease, findStartDecision, pausedBy, resumedBy } from "../core/requestRecords";
import { followUpPrefix } from "../core/runIds";
import { scheduleView } from "../core/scheduleView";
import { startJob } from "../core/startJob";
import {
  apiError,
  IDEMPOTENCY_KEY_PATTERN,
  isApiError,
  parseControlRequest,
  parseReleaseRequest,
  parseStartRequest,
  validateJobName,
  type ApiError,
} from "../core/validation";
import {
  followUpResponse,
  inputError,
  pauseResponse,
  pendingResponse,
  releaseResponse,
  responseUrls,
  resumeResponse,
  startResponse,
} from "./decisionResponses";
import { coordinatorFor, rpcFor } from "./durableCoordinatorClient";
import { errorResponse, httpHandler, json, readBody } from "./httpResponses";
import { readSummaries } from "./jobOverview";
import { scheduleOf } from "./schedules";

const clientInput = df.input.durableClient();

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
  const parsed = parseStartRequest(
    body,
    request.headers.get("idempotency-key"),
    settings().defaultPolicy,
    knownOrchestrators(),
  );
  if (isApiError(parsed)) return errorResponse(parsed);
  const invalidInput = inputError(parsed.orchestrator, parsed.input);
  if (invalidInput) return errorResponse(invalidInput);

  const requestId = parsed.idempotencyKey ?? randomUUID();
  const outcome = await startJob(
    coordinatorFor(context, clientInput),
    job,
    { requestId, orchestrator: parsed.orchestrator, input: parsed.input, policy: parsed.policy },
    startOptions(),
  );
  if (outcome.kind === "started") {
    context.log(`Job '${job}': started generation ${outcome.generation} as '${outcome.instanceId}'.`);
  } else if (outcome.kind === "pending") {
    context.warn(`Job '${job}': request '${requestId}' is pending (no decision within the wait budget).`);
  }
  return startResponse(job, requestId, outcome, responseUrls(df.getClient(context), request, job, 3));
}

/** Status payloads of a request's follow-ups (the SDK cannot filter by prefix, hence the management API). */
async function followUpsOf(context: InvocationContext, prefix: string): Promise<Record<string, unknown>[]> {
  const rpc = rpcFor(context, clientInput);
  if (rpc) return rpc.instancesWithPrefix(prefix);
  const all = (await df.getClient(context).getStatusAll()) as unknown as Record<string, unknown>[];
  return all.filter((s) => String(s.instanceId).startsWith(prefix));
}

/** The answer of a request: its standing decision in the job's state, else its follow-up's output. */
export async function getRequest(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const job = request.params.jobName;
  const invalid = validateJobName(job);
  if (invalid) return errorResponse(invalid);
  const requestId = request.params.requestId;
  if (!IDEMPOTENCY_KEY_PATTERN.test(requestId)) {
    return errorResponse(
      apiError(
        400,
        "invalid request id",
        `'${requestId}' must match ${IDEMPOTENCY_KEY_PATTERN.source}`,
        "requestId",
      ),
    );
  }
  const urls = responseUrls(df.getClient(context), request, job, 4);
  const state = await coordinatorFor(context, clientInput).readState(job);
  const standing = state && findStartDecision(state, requestId);
  if (standing) return startResponse(job, requestId, standing, urls);
  const released = state && findRelease(state, requestId);
  if (released) return releaseResponse(job, requestId, { kind: "released", released }, urls);
  if (state && pausedBy(state, requestId)) {
    const outcome = state.paused
      ? { kind: "paused" as const, pause: state.paused }
      : { kind: "paused" as const };
    return pauseResponse(job, requestId, outcome, urls);
  }
  if (state && resumedBy(state, requestId)) return resumeResponse(job, requestId, { kind: "resumed" }, urls);

  const followUps = await followUpsOf(context, followUpPrefix(job, requestId));
  if (
    followUps.some((f) =>
      ["Pending", "Running", "ContinuedAsNew", "Suspended"].includes(String(f.runtimeStatus)),
    )
  ) {
    return pendingResponse(job, requestId, urls);
  }
  const done = followUps.find((f) => f.runtimeStatus === "Completed");
  if (done) {
    return followUpResponse(job, requestId, done.output as FollowUpResult, urls);
  }
  const failed = followUps.find((f) => f.runtimeStatus === "Failed" || f.runtimeStatus === "Terminated");
  if (failed) {
    return errorResponse(
      apiError(
        500,
        "request failed",
        `the follow-up of request '${requestId}' ${String(failed.runtimeStatus).toLowerCase()}: ${JSON.stringify(failed.output)}`,
      ),
    );
  }
  return errorResponse(
    apiError(
      404,
      "unknown request",
      `job '${job}' has no pending request '${requestId}' and no recorded decision for it`,
      "requestId",
    ),
  );
}

export async function getJob(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const job = request.params.jobName;
  const invalid = validateJobName(job);
  if (invalid) return errorResponse(invalid);
  const state = await coordinatorFor(context, clientInput).readState(job);
  const schedule = scheduleOf(job);
  // A scheduled job is known before its first tick: its schedule says when that is.
  if (!state && !schedule)
    return errorResponse(apiError(404, "unknown job", `no job named '${job}' has been started`, "jobName"));
  const urls = responseUrls(df.getClient(context), request, job, 2);
  return json(
    200,
    jobView(
      state ?? initialState(job),
      (instanceId) => urls.management(instanceId).statusQueryGetUri,
      schedule && scheduleView(schedule, state, Date.now()),
    ),
  );
}

export async function listJobs(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const view = request.query.get("view");
  if (view !== null && view !== "summary") {
    return errorResponse(apiError(400, "invalid view", "'view', when given, must be 'summary'", "view"));
  }
  const client = df.getClient(context);
  const shards = await Promise.all(
    registryShardKeys().map(async (key) => {
      const response = await client.readEntityState<RegistryState>(new df.EntityId(REGISTRY_ENTITY, key));
      return response.entityExists ? response.entityState : undefined;
    }),
  );
  const registry = mergeRegistries(shards);
  const list = { jobs: registry.jobs, count: registry.jobs.length, unregistered: registry.overflow };
  if (view === null) return json(200, list);
  const summaries = await readSummaries(
    coordinatorFor(context, clientInput),
    registry.jobs,
    (job, instanceId) => responseUrls(client, request, job, 1).management(instanceId).statusQueryGetUri,
  );
  return json(200, { ...list, at: new Date().toISOString(), summaries });
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
  const requestId = randomUUID();
  const outcome = await releaseJob(
    coordinatorFor(context, clientInput),
    job,
    { requestId, reason },
    startOptions(),
  );
  if (outcome.kind === "released") {
    context.warn(`Job '${job}': generation ${outcome.released.generation} force-released (${reason}).`);
  }
  return releaseResponse(job, requestId, outcome, responseUrls(df.getClient(context), request, job, 3));
}

/** Who asks: the App Service Authentication principal when there is one, else the name the body gives. */
function requester(request: HttpRequest, declared: string | undefined): string {
  return request.headers.get("x-ms-client-principal-name") ?? declared ?? "admin";
}

/** A pause or resume request, read and checked: its job, who asks and why, and a fresh request id. */
interface ControlRequest {
  job: string;
  requestId: string;
  by: string;
  reason?: string;
}

async function readControlRequest(
  request: HttpRequest,
  withReason: boolean,
): Promise<ControlRequest | ApiError> {
  const read = await readJobRequest(request);
  if (isApiError(read)) return read;
  const parsed = parseControlRequest(read.body, withReason);
  if (isApiError(parsed)) return parsed;
  const control: ControlRequest = {
    job: read.job,
    requestId: randomUUID(),
    by: requester(request, parsed.by),
  };
  if (parsed.reason !== undefined) control.reason = parsed.reason;
  return control;
}

export async function pauseJobHttp(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const control = await readControlRequest(request, true);
  if (isApiError(control)) return errorResponse(control);
  const { job, requestId, by, reason } = control;
  const outcome = await pauseJob(
    coordinatorFor(context, clientInput),
    job,
    { requestId, by, ...(reason === undefined ? {} : { reason }) },
    startOptions(),
  );
  if (outcome.kind === "paused") {
    context.warn(`Job '${job}' paused by ${by}${reason ? ` (${reason})` : ""}.`);
  }
  return pauseResponse(job, requestId, outcome, responseUrls(df.getClient(context), request, job, 3));
}

export async function resumeJobHttp(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const control = await readControlRequest(request, false);
  if (isApiError(control)) return errorResponse(control);
  const { job, requestId, by } = control;
  const outcome = await resumeJob(
    coordinatorFor(context, clientInput),
    job,
    { requestId, by },
    startOptions(),
  );
  if (outcome.kind === "resumed") {
    const promoted = outcome.promoted
      ? `; queued request started as generation ${outcome.promoted.generation}`
      : "";
    context.log(`Job '${job}' resumed by ${by}${promoted}.`);
  }
  return resumeResponse(job, requestId, outcome, responseUrls(df.getClient(context), request, job, 3));
}

app.http("jobStart", {
  route: "jobs/{jobName}/start",
  methods: ["POST"],
  authLevel: "function",
  extraInputs: [clientInput],
  handler: httpHandler(startJobHttp),
});

app.http("jobRequest", {
  route: "jobs/{jobName}/requests/{requestId}",
  methods: ["GET"],
  authLevel: "function",
  extraInputs: [clientInput],
  handler: httpHandler(getRequest),
});

app.http("jobRelease", {
  route: "jobs/{jobName}/release",
  methods: ["POST"],
  authLevel: "admin",
  extraInputs: [clientInput],
  handler: httpHandler(releaseJobHttp),
});

app.http("jobPause", {
  route: "jobs/{jobName}/pause",
  methods: ["POST"],
  authLevel: "admin",
  extraInputs: [clientInput],
  handler: httpHandler(pauseJobHttp),
});

app.http("jobResume", {
  route: "jobs/{jobName}/resume",
  methods: ["POST"],
  authLevel: "admin",
  extraInputs: [clientInput],
  handler: httpHandler(resumeJobHttp),
});

app.http("jobGet", {
  route: "jobs/{jobName}",
  methods: ["GET"],
  authLevel: "function",
  extraInputs: [clientInput],
  handler: httpHandler(getJob),
});

app.http("jobList", {
  route: "jobs",
  methods: ["GET"],
  authLevel: "function",
  extraInputs: [clientInput],
  handler: httpHandler(listJobs),
});
