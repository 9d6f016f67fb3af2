/**
 * The built-in HTTP activity behind `context.df.callHttp` (the extension's TaskHttpActivityShim, scheduled
 * as "BuiltIn::HttpActivity"): sends the DurableHttpRequest the SDK put on its CallHttp action and answers
 * the DurableHttpResponse JSON the SDK reads back ({ statusCode, headers, content }).
 *
 * - The Content-Type request header types the content (text/plain by default); multipart is refused.
 * - Response headers are the response's own headers, not its content headers (Content-Type, Content-Length
 *   ...), as DurableHttpResponse.CreateDurableHttpResponseWithHttpResponseMessage copies
 *   `HttpResponseMessage.Headers`; a header with one value is a string, with several an array. .NET names
 *   the headers it knows its own way ("Location", "Retry-After"), whatever case the server used; others
 *   keep the server's spelling.
 * - A request that cannot be sent (refused connection, bad URL) fails the task with the error's message,
 *   as the shim turns HttpRequestException into a TaskFailureException.
 * - `tokenSource` (managed identity): the real host asks Azure AD for a token and sends it as a Bearer
 *   Authorization header. The devhost has no access to Azure AD, so such a call fails its task, as the
 *   real host's does when no token can be obtained; the orchestrator sees the error.
 */
import * as http from "node:http";
import * as https from "node:https";
import type { ActivityOutcome } from "./activityRunner";

/** The activity name the extension schedules HTTP calls under (HttpOptions.HttpTaskActivityReservedName). */
export const HTTP_ACTIVITY = "BuiltIn::HttpActivity";

/** DurableHttpRequest as durable-functions serializes it on the CallHttp action. */
export interface DurableHttpRequest {
  method?: string;
  uri?: string;
  content?: string;
  headers?: Record<string, string | string[]>;
  tokenSource?: { kind?: string; resource?: string };
  /** Poll the Location of a 202 answer until it answers something else (default true). */
  asynchronousPatternEnabled?: boolean;
}

/** DurableHttpResponse as the extension serializes it. */
export interface DurableHttpResponse {
  statusCode: number;
  headers: Record<string, string | string[]>;
  content: string;
}

/** HttpContentHeaders: these belong to the content and are not in DurableHttpResponse.headers. */
const CONTENT_HEADERS = new Set([
  "allow",
  "content-disposition",
  "content-encoding",
  "content-language",
  "content-length",
  "content-location",
  "content-md5",
  "content-range",
  "content-type",
  "expires",
  "last-modified",
]);

/** Response headers .NET knows (System.Net.Http KnownHeaders), named as HttpResponseHeaders names them. */
const KNOWN_RESPONSE_HEADERS = new Map(
  [
    "Accept-Ranges",
    "Age",
    "Alt-Svc",
    "Cache-Control",
    "Connection",
    "Date",
    "ETag",
    "Keep-Alive",
    "Location",
    "Pragma",
    "Proxy-Authenticate",
    "Retry-After",
    "Server",
    "Set-Cookie",
    "Strict-Transport-Security",
    "Trailer",
    "Transfer-Encoding",
    "Upgrade",
    "Vary",
    "Via",
    "Warning",
    "WWW-Authenticate",
  ].map((name) => [name.toLowerCase(), name]),
);

/** A header of a request or response, by name regardless of case. */
export function headerValue(
  headers: Record<string, string | string[]> | undefined,
  name: string,
): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() === lower) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

/**
 * The request that polls a 202's Location (DurableOrchestrationContext.CreateLocationPollRequest): a GET of
 * the location with the original headers except x-functions-key (the status endpoint may want another key).
 */
export function locationPollRequest(original: DurableHttpRequest, location: string): DurableHttpRequest {
  const headers: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(original.headers ?? {}))
    if (key.toLowerCase() !== "x-functions-key") headers[key] = value;
  const poll: DurableHttpRequest = {
    method: "GET",
    uri: location,
    headers,
    asynchronousPatternEnabled: true,
  };
  if (original.tokenSource) poll.tokenSource = original.tokenSource;
  return poll;
}

/** Sends the request; resolves to the task's outcome (never rejects). */
export async function sendDurableHttp(request: DurableHttpRequest): Promise<ActivityOutcome> {
  const fail = (reason: string): ActivityOutcome => ({ ok: false, failure: { Reason: reason, Details: "" } });
  if (request.tokenSource) {
    return fail(
      `The devhost cannot get a managed identity token for resource '${String(request.tokenSource.resource)}': ` +
        "it has no access to Azure AD. Send the request without tokenSource (and set an Authorization header " +
        "yourself if the target needs one).",
    );
  }
  let url: URL;
  try {
    url = new URL(String(request.uri));
  } catch {
    return fail(`An invalid request URI was provided: '${String(request.uri)}'.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    return fail(`The '${url.protocol.slice(0, -1)}' scheme is not supported.`);
  const headers: Record<string, string | string[]> = {};
  let contentType = "";
  for (const [key, value] of Object.entries(request.headers ?? {})) {
    if (key.toLowerCase() !== "content-type") {
      headers[key] = value;
      continue;
    }
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v.includes("multipart")) return fail("Multipart content is not supported with CallHttpAsync.");
      contentType = v;
    }
  }
  let body: Buffer | undefined;
  if (request.content !== undefined && request.content !== null) {
    body = Buffer.from(request.content, "utf8");
    const type = contentType || "text/plain";
    headers["Content-Type"] =
      type.toLowerCase() === "application/x-www-form-urlencoded" ? `${type}; charset=utf-8` : type;
    headers["Content-Length"] = String(body.length);
  }
  try {
    return { ok: true, result: await exchange(url, (request.method ?? "GET").toUpperCase(), headers, body) };
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
}

function exchange(
  url: URL,
  method: string,
  headers: Record<string, string | string[]>,
  body: Buffer | undefined,
): Promise<DurableHttpResponse> {
  const send = url.protocol === "https:" ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = send(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () =>
        resolve({
          statusCode: res.statusCode ?? 0,
          headers: responseHeaders(res.rawHeaders),
          content: Buffer.concat(chunks).toString("utf8"),
        }),
      );
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** The response's own headers, named as the server sent them; repeated ones as arrays. */
function responseHeaders(raw: string[]): Record<string, string | string[]> {
  const values = new Map<string, { name: string; values: string[] }>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const lower = raw[i].toLowerCase();
    if (CONTENT_HEADERS.has(lower)) continue;
    const entry = values.get(lower);
    if (entry) entry.values.push(raw[i + 1]);
    else values.set(lower, { name: KNOWN_RESPONSE_HEADERS.get(lower) ?? raw[i], values: [raw[i + 1]] });
  }
  const out: Record<string, string | string[]> = {};
  for (const { name, values: v } of values.values()) out[name] = v.length === 1 ? v[0] : v;
  return out;
}
