/**
 * The HTTP layer's one way to answer: JSON responses, the `{error, field?, detail}` error shape, and
 * `httpHandler`, which every HTTP function of the app is wrapped in so that nothing (a Durable API
 * failure, a bug) ever reaches the caller as a host 500 with a stack trace.
 */
import type { HttpRequest, HttpResponse, HttpResponseInit, InvocationContext } from "@azure/functions";
import { apiError, MAX_BODY_BYTES, type ApiError } from "../core/validation";
import { DurableApiError } from "./durableRpc";

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { "Content-Type": "application/json", ...headers } };
}

export function errorResponse(err: ApiError, headers: Record<string, string> = {}): HttpResponseInit {
  const { status, ...body } = err;
  return json(status, body, headers);
}

/** Reads the body as text, refusing anything over the 64 KB limit before parsing it. */
export async function readBody(request: HttpRequest): Promise<string | ApiError> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) {
    return apiError(413, "request body too large", `the body must be at most ${MAX_BODY_BYTES} bytes`);
  }
  const text = await request.text();
  if (Buffer.byteLength(text, "utf8") > MAX_BODY_BYTES) {
    return apiError(413, "request body too large", `the body must be at most ${MAX_BODY_BYTES} bytes`);
  }
  return text;
}

/** The JSON error for anything a handler threw: 502 when the Durable API failed, 500 otherwise. */
export function unexpectedError(error: unknown): ApiError {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof DurableApiError || /status code: \d+/.test(message)) {
    return apiError(502, "durable backend error", message);
  }
  return apiError(500, "internal error", message);
}

type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit | HttpResponse>;

/** Wraps a handler: any exception becomes the documented JSON error, and is logged with the invocation. */
export function httpHandler(handler: Handler): Handler {
  return async (request, context) => {
    try {
      return await handler(request, context);
    } catch (error) {
      const err = unexpectedError(error);
      context.error(`${request.method} ${new URL(request.url).pathname} failed: ${err.detail}`);
      return errorResponse(err);
    }
  };
}
