/**
 * The seed-compatible starter: `POST /api/orchestrators/{functionName}/{instanceId}`, body = input.
 * Same contract as the Durable docs' singleton sample (202 check-status payload, 409 when the instance
 * exists), but the decision is made by the job's coordinator entity, so concurrent starters cannot both
 * win, and a finished previous run does not block a new one.
 */
import {
  app,
  type HttpRequest,
  type HttpResponse,
  type HttpResponseInit,
  type InvocationContext,
} from "@azure/functions";
import * as df from "durable-functions";
import { randomUUID } from "node:crypto";
import { startOptions } from "../core/config";
import { knownOrchestrators } from "../core/orchestratorCatalog";
import { startJob } from "../core/startJob";
import {
  apiError,
  IDEMPOTENCY_KEY_PATTERN,
  inputDepthError,
  isApiError,
  validateJobName,
} from "../core/validation";
import { coordinatorFor } from "./durableCoordinatorClient";
import { inputError, pendingResponse, responseUrls, startResponse } from "./decisionResponses";
import { errorResponse, httpHandler, json, readBody } from "./httpResponses";

function parseInput(text: string, contentType: string | null): unknown {
  if (text.trim() === "") return undefined;
  if (contentType && !contentType.includes("json")) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const clientInput = df.input.durableClient();

export async function seedStart(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit | HttpResponse> {
  const functionName = request.params.functionName;
  const instanceId = request.params.instanceId;
  const invalid = validateJobName(instanceId, "instanceId");
  if (invalid) return errorResponse(invalid);
  if (!knownOrchestrators().has(functionName)) {
    return errorResponse(
      apiError(
        404,
        "unknown orchestrator",
        `'${functionName}' is not a registered singleton orchestrator`,
        "functionName",
      ),
    );
  }
  const key = request.headers.get("idempotency-key");
  if (key !== null && !IDEMPOTENCY_KEY_PATTERN.test(key)) {
    return errorResponse(
      apiError(
        400,
        "invalid idempotency key",
        `the Idempotency-Key header must match ${IDEMPOTENCY_KEY_PATTERN.source}`,
        "Idempotency-Key",
      ),
    );
  }
  const body = await readBody(request);
  if (isApiError(body)) return errorResponse(body);
  const input = parseInput(body, request.headers.get("content-type"));
  const invalidInput = inputDepthError(input) ?? inputError(functionName, input);
  if (invalidInput) return errorResponse(invalidInput);

  const client = df.getClient(context);
  const requestId = key ?? randomUUID();
  const outcome = await startJob(
    coordinatorFor(context, clientInput),
    instanceId,
    { requestId, orchestrator: functionName, input, policy: "reject", instanceId },
    startOptions(),
  );
  const urls = responseUrls(client, request, instanceId, 3);
  switch (outcome.kind) {
    case "started":
      context.log(`Started orchestration with ID = '${instanceId}' (generation ${outcome.generation}).`);
      return client.createCheckStatusResponse(request, instanceId);
    case "pending":
      return pendingResponse(instanceId, requestId, urls);
    case "existing":
    case "queued":
    case "rejected": {
      // A paused job refuses the seed route's starts as it refuses the job API's: 409 `job is paused`.
      if (outcome.kind === "rejected" && outcome.reason === "paused") {
        return startResponse(instanceId, requestId, outcome, urls);
      }
      const holder = outcome.holder;
      return json(409, {
        error: `An instance with ID '${instanceId}' already exists.`,
        detail: `generation ${holder.generation} holds '${instanceId}' (${holder.phase})`,
        holder: {
          generation: holder.generation,
          instanceId: holder.instanceId,
          statusQueryGetUri: urls.management(holder.instanceId).statusQueryGetUri,
        },
      });
    }
  }
}

app.http("HttpStartSingle", {
  route: "orchestrators/{functionName}/{instanceId}",
  methods: ["POST"],
  authLevel: "function",
  extraInputs: [clientInput],
  handler: httpHandler(seedStart),
});
