/** Small helpers shared by the HTTP starters: JSON responses and the `{error, field?, detail}` error shape. */
import type { HttpRequest, HttpResponseInit } from "@azure/functions";
import { apiError, MAX_BODY_BYTES, type ApiError } from "../core/validation";

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

export function retryAfterSeconds(waitBudgetMs: number): string {
  return String(Math.max(1, Math.ceil(waitBudgetMs / 1000)));
}
