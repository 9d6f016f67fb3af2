/**
 * The HTTP answers to start and release outcomes, shared by the start and release routes and by
 * `GET /api/jobs/{job}/requests/{requestId}` (a pending request's final answer has the same payload).
 */
import type { HttpRequest, HttpResponseInit } from "@azure/functions";
import type { DurableClient } from "durable-functions";
import { inputProblem } from "../core/orchestratorCatalog";
import type { FollowUpResult } from "../core/followUp";
import { pauseView } from "../core/jobView";
import type { PauseOutcome, ResumeOutcome } from "../core/pauseJob";
import type { ReleaseOutcome } from "../core/releaseJob";
import type { StartOutcome } from "../core/startJob";
import type { Decision, HeldRejectReason, HolderInfo, PauseInfo, RejectReason } from "../core/types";
import { apiError, type ApiError } from "../core/validation";
import { errorResponse, json } from "./httpResponses";

/** Seconds a client should wait before polling a pending request again. */
export const PENDING_RETRY_AFTER_S = "1";

export interface ResponseUrls {
  /** The check-status payload (`id`, `statusQueryGetUri`, ...) of an instance, on the caller's origin. */
  management(instanceId: string): Record<string, string>;
  /** Where the final answer of a pending request is served. */
  request(requestId: string): string;
}

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

/**
 * The URLs of answers to `request`, which arrived on a route of `routeSegments` path segments below the
 * app's route prefix (e.g. 3 for `jobs/{jobName}/start`), so the prefix need not be known here.
 */
export function responseUrls(
  client: DurableClient,
  request: HttpRequest,
  job: string,
  routeSegments: number,
): ResponseUrls {
  const url = new URL(request.url);
  const apiRoot = url.pathname.split("/").slice(0, -routeSegments).join("/");
  return {
    management: (instanceId) => managementPayload(client, request, instanceId),
    request: (requestId) =>
      `${url.origin}${apiRoot}/jobs/${encodeURIComponent(job)}/requests/${encodeURIComponent(requestId)}`,
  };
}

/** A 400 naming the input field the orchestrator's own check refuses, if it refuses the input. */
export function inputError(orchestrator: string, input: unknown): ApiError | undefined {
  const problem = inputProblem(orchestrator, input);
  if (!problem) return undefined;
  const field = problem.field ? `input.${problem.field}` : "input";
  return apiError(400, "invalid input", `${field}: ${problem.detail}`, field);
}

type Rejection = Extract<Decision, { kind: "rejected" }>;
type HeldRejection = Extract<Rejection, { reason: HeldRejectReason }>;
type PausedRejection = Extract<Rejection, { reason: "paused" }>;

/** Who paused a job, when and why, in words. */
function pausedText(job: string, p: PauseInfo): string {
  const reason = p.reason ? ` (${p.reason})` : "";
  return `job '${job}' was paused by ${p.by} at ${new Date(p.since).toISOString()}${reason}`;
}

/** The 409 of every rejection reason: a new reason does not compile until it has its error and detail. */
const REJECTIONS: {
  [R in RejectReason]: {
    error: string;
    detail: (job: string, r: R extends "paused" ? PausedRejection : HeldRejection) => string;
  };
} = {
  held: {
    error: "job is running",
    detail: (job, r) => `job '${job}' is held by generation ${r.holder.generation}`,
  },
  queueFull: {
    error: "queue full",
    detail: (job, r) => `job '${job}' is held by generation ${r.holder.generation} and its queue is full`,
  },
  conflict: {
    error: "replace conflict",
    detail: (job, r) =>
      `job '${job}' was taken by generation ${r.holder.generation} while this replace request was in flight; it was not replaced`,
  },
  paused: {
    error: "job is paused",
    detail: (job, r) =>
      `${pausedText(job, r.paused)}; it refuses new starts until it is resumed` +
      (r.holder ? ` (generation ${r.holder.generation} is still ${r.holder.phase})` : ""),
  },
};

function holderPayload(holder: HolderInfo, urls: ResponseUrls) {
  return { ...holder, statusQueryGetUri: urls.management(holder.instanceId).statusQueryGetUri };
}

export function pendingResponse(
  job: string,
  requestId: string,
  urls: ResponseUrls,
  what = "decision",
): HttpResponseInit {
  const location = urls.request(requestId);
  return json(
    202,
    {
      status: "pending",
      job,
      requestId,
      detail: `no ${what} yet (the Durable backend is slow); poll ${location} for the answer`,
      requestStatusUri: location,
    },
    { Location: location, "Retry-After": PENDING_RETRY_AFTER_S },
  );
}

export function startResponse(
  job: string,
  requestId: string,
  outcome: StartOutcome,
  urls: ResponseUrls,
): HttpResponseInit {
  switch (outcome.kind) {
    case "started": {
      const management = urls.management(outcome.instanceId);
      return json(
        202,
        {
          status: "started",
          job,
          requestId,
          generation: outcome.generation,
          instanceId: outcome.instanceId,
          ...(outcome.replaced ? { replaced: outcome.replaced } : {}),
          ...management,
        },
        { Location: management.statusQueryGetUri },
      );
    }
    case "queued":
      return json(202, {
        status: "queued",
        job,
        requestId,
        position: outcome.position,
        holder: holderPayload(outcome.holder, urls),
      });
    case "existing":
      return json(200, {
        status: "existing",
        job,
        requestId,
        generation: outcome.holder.generation,
        instanceId: outcome.holder.instanceId,
        phase: outcome.holder.phase,
        statusQueryGetUri: urls.management(outcome.holder.instanceId).statusQueryGetUri,
      });
    case "rejected": {
      // The entry for this outcome's own reason (TypeScript cannot correlate the two by itself).
      const rejection = REJECTIONS[outcome.reason] as {
        error: string;
        detail: (job: string, r: Rejection) => string;
      };
      return json(409, {
        error: rejection.error,
        detail: rejection.detail(job, outcome),
        job,
        requestId,
        ...(outcome.reason === "paused" ? { paused: pauseView(outcome.paused) } : {}),
        ...(outcome.holder ? { holder: holderPayload(outcome.holder, urls) } : {}),
      });
    }
    case "pending":
      return pendingResponse(job, requestId, urls);
  }
}

export function releaseResponse(
  job: string,
  requestId: string,
  outcome: ReleaseOutcome,
  urls: ResponseUrls,
): HttpResponseInit {
  switch (outcome.kind) {
    case "unknownJob":
      return errorResponse(apiError(404, "unknown job", `no job named '${job}' has been started`, "jobName"));
    case "notHeld": {
      const detail =
        outcome.lastFinished !== undefined
          ? `job '${job}' has no active run: generation ${outcome.lastFinished.generation} ended (${outcome.lastFinished.outcome}) before the release`
          : outcome.generation !== undefined
            ? `job '${job}': generation ${outcome.generation} ended before the release`
            : `job '${job}' has no active run to release`;
      return errorResponse(apiError(409, "not held", detail));
    }
    case "released":
      return json(200, {
        status: "released",
        job,
        requestId,
        released: outcome.released,
        ...(outcome.promoted ? { promoted: outcome.promoted } : {}),
      });
    case "pending":
      return pendingResponse(job, requestId, urls, "release");
  }
}

export function pauseResponse(
  job: string,
  requestId: string,
  outcome: PauseOutcome,
  urls: ResponseUrls,
): HttpResponseInit {
  switch (outcome.kind) {
    case "unknownJob":
      return errorResponse(apiError(404, "unknown job", `no job named '${job}' has been started`, "jobName"));
    case "paused":
      return json(200, {
        status: "paused",
        job,
        requestId,
        ...(outcome.pause ? { paused: pauseView(outcome.pause) } : {}),
      });
    case "alreadyPaused":
      return json(409, {
        error: "already paused",
        detail: pausedText(job, outcome.pause),
        job,
        requestId,
        paused: pauseView(outcome.pause),
      });
    case "pending":
      return pendingResponse(job, requestId, urls, "pause");
  }
}

export function resumeResponse(
  job: string,
  requestId: string,
  outcome: ResumeOutcome,
  urls: ResponseUrls,
): HttpResponseInit {
  switch (outcome.kind) {
    case "unknownJob":
      return errorResponse(apiError(404, "unknown job", `no job named '${job}' has been started`, "jobName"));
    case "resumed":
      return json(200, {
        status: "resumed",
        job,
        requestId,
        ...(outcome.promoted
          ? {
              promoted: {
                ...outcome.promoted,
                statusQueryGetUri: urls.management(outcome.promoted.instanceId).statusQueryGetUri,
              },
            }
          : {}),
      });
    case "notPaused":
      return errorResponse(apiError(409, "not paused", `job '${job}' is not paused`));
    case "pending":
      return pendingResponse(job, requestId, urls, "resume");
  }
}

/** The final answer of a request its follow-up decided, as the route that took the request would have given it. */
export function followUpResponse(
  job: string,
  requestId: string,
  result: FollowUpResult,
  urls: ResponseUrls,
): HttpResponseInit {
  switch (result.kind) {
    case "start":
      return startResponse(job, requestId, result.decision, urls);
    case "release":
      return releaseResponse(job, requestId, result.result, urls);
    case "pause":
      return pauseResponse(job, requestId, result.result, urls);
    case "resume":
      return resumeResponse(job, requestId, result.result, urls);
    case "tick":
      // A schedule's tick: its run's answer when it got one, else how the tick ended (skipped, paused, ...,
      // or a run given up because the firing holding its start ticket never started it).
      return result.result.decision
        ? startResponse(job, requestId, result.result.decision, urls)
        : json(200, {
            job,
            requestId,
            tick: result.result.outcome,
            duplicate: result.result.duplicate,
            ...(result.result.abandoned ? { abandoned: true } : {}),
          });
  }
}
