/**
 * The HTTP request as the Functions host hands it to a Node worker over RPC.
 *
 * The Node worker declares `UseNullableValueDictionaryForHttp` (nodejs-worker
 * `src/eventHandlers/getWorkerCapabilities.ts`), so the host fills `nullableHeaders`, `nullableQuery` and
 * `nullableParams` instead of the plain maps (azure-functions-host
 * `src/WebJobs.Script.Grpc/MessageExtensions/GrpcMessageConversionExtensions.cs`, `ToRpcHttp`). @azure/functions
 * 4.0–4.3 build `request.query` from those maps only (nodejs-library `src/http/HttpRequest.ts` at v4.3.0); 4.4
 * and later fall back to parsing the URL when both are missing.
 *
 * Each map value is ASP.NET Core's `StringValues.ToString()`: a name given several times becomes one value joined
 * with "," (`?tag=a&tag=b` reads as `tag: "a,b"`; nodejs-library issue #168), and so does a repeated header.
 * Header names are lower-cased. With `RawHttpBodyBytes` the body is always bytes.
 */
import type { IncomingMessage } from "node:http";
import type { RpcHttpData, RpcNullableString, RpcTypedData } from "../functionsCore";

/** Joins repeated names the way `StringValues.ToString()` does, keeping first-seen order. */
function joinRepeated(pairs: Iterable<[string, string]>): Map<string, string> {
  const grouped = new Map<string, string[]>();
  for (const [name, value] of pairs) {
    const list = grouped.get(name);
    if (list) list.push(value);
    else grouped.set(name, [value]);
  }
  return new Map([...grouped].map(([name, values]) => [name, values.join(",")]));
}

function nullable(map: Map<string, string>): Record<string, RpcNullableString> {
  const result: Record<string, RpcNullableString> = {};
  for (const [name, value] of map) result[name] = { value };
  return result;
}

/** Request headers with repeated ones joined by "," (Node joins most with ", " and drops some duplicates). */
export function requestHeaders(req: IncomingMessage): Map<string, string> {
  const pairs: [string, string][] = [];
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    for (const value of values ?? []) pairs.push([name.toLowerCase(), value]);
  }
  return joinRepeated(pairs);
}

/** Query string parameters, decoded as ASP.NET Core decodes them ("+" is a space, "?a" is a: ""). */
export function requestQuery(url: string): Map<string, string> {
  const q = url.indexOf("?");
  return joinRepeated(q < 0 ? [] : new URLSearchParams(url.slice(q + 1)));
}

/** The RPC HTTP request of a buffered (non-streaming) invocation. */
export function rpcHttpRequest(
  req: IncomingMessage,
  url: string,
  params: Record<string, string>,
  body: Buffer,
): RpcHttpData {
  const request: RpcHttpData = {
    method: (req.method ?? "GET").toUpperCase(),
    url,
    nullableHeaders: nullable(requestHeaders(req)),
    nullableQuery: nullable(requestQuery(req.url ?? "/")),
    nullableParams: nullable(new Map(Object.entries(params))),
  };
  if (body.length > 0) request.body = { bytes: body };
  return request;
}

function plain(map: Record<string, RpcNullableString> | null | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, v] of Object.entries(map ?? {})) result[name] = v?.value ?? "";
  return result;
}

/**
 * The trigger metadata (binding data) of an HTTP invocation: `Query` and `Headers` as JSON objects and each route
 * parameter by name. The request itself (`req`, `$request`) is left out, as the host does for workers that declare
 * `RpcHttpTriggerMetadataRemoved` (azure-functions-host `ScriptInvocationContextExtensions.cs`,
 * `ShouldSkipBindingData`). @azure/functions reads `Headers` and the parameters from here when streaming.
 */
export function httpTriggerMetadata(request: RpcHttpData): Record<string, RpcTypedData> {
  const metadata: Record<string, RpcTypedData> = {
    Query: { json: JSON.stringify(plain(request.nullableQuery)) },
    Headers: { json: JSON.stringify(plain(request.nullableHeaders)) },
  };
  for (const [name, value] of Object.entries(plain(request.nullableParams)))
    metadata[name] = { string: value };
  return metadata;
}
