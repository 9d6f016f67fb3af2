/**
 * The runtime's part of the URLs the Durable engine hands out. The Functions host gives an extension its
 * webhook URL with the extension's system key as `?code=` (DefaultScriptWebHookProvider.GetUrl), and the
 * extension appends that query to every public URL it builds (HttpApiHandler.GetClientResponseLinks,
 * GetInstanceCreationLinks, GetUniversalQueryStrings). The engine builds its URLs without keys; the runtime,
 * which owns the keys, adds `code=` to them here, and points `rpcBaseUrl` at its loopback channel.
 */
import type { ManagementResponse } from "../contracts";

/** `url` with `code=<key>` appended to its query. */
export function withCode(url: string, code: string): string {
  return `${url}${url.includes("?") ? "&" : "?"}code=${encodeURIComponent(code)}`;
}

function mapStrings(value: unknown, fn: (url: string, key: string) => string): unknown {
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = typeof v === "string" ? fn(v, key) : v;
  return out;
}

/**
 * The durableClient binding value: the engine's, with `code=` on the creation and management URLs and in
 * `requiredQueryStringParameters` (when a key is given), and `rpcBaseUrl` set to the runtime's channel
 * (left out when there is none).
 */
export function bindingValue(
  engineValue: Record<string, unknown>,
  options: { code?: string; rpcBaseUrl?: string },
): Record<string, unknown> {
  const value: Record<string, unknown> = { ...engineValue };
  const { code, rpcBaseUrl } = options;
  if (code !== undefined) {
    value.creationUrls = mapStrings(value.creationUrls, (url) => withCode(url, code));
    value.managementUrls = mapStrings(value.managementUrls, (url, key) =>
      key === "id" ? url : withCode(url, code),
    );
    const required =
      typeof value.requiredQueryStringParameters === "string" ? value.requiredQueryStringParameters : "";
    value.requiredQueryStringParameters = `${required}${required ? "&" : ""}code=${encodeURIComponent(code)}`;
  }
  if (rpcBaseUrl === undefined) delete value.rpcBaseUrl;
  else value.rpcBaseUrl = rpcBaseUrl;
  return value;
}

/**
 * A management answer with `code=` on the public URLs it carries: its `Location` header and, in a check-status
 * payload (the start route's 202), every `...Uri` field under `publicBase`.
 */
export function responseWithCode(
  response: ManagementResponse,
  publicBase: string,
  code: string,
): ManagementResponse {
  const ours = (url: string): boolean => url.startsWith(`${publicBase}/`);
  let headers = response.headers;
  if (headers) {
    headers = { ...headers };
    for (const [name, value] of Object.entries(headers)) {
      if (name.toLowerCase() === "location" && ours(value)) headers[name] = withCode(value, code);
    }
  }
  let body = response.body;
  const payload = body as Record<string, unknown> | undefined;
  if (typeof payload === "object" && payload !== null && typeof payload.statusQueryGetUri === "string") {
    body = mapStrings(payload, (url, key) => (key.endsWith("Uri") && ours(url) ? withCode(url, code) : url));
  }
  return { ...response, headers, body };
}
