/** Writing RPC HTTP responses (status, headers, cookies, body) and the host's own JSON replies to node:http. */
import type { ServerResponse } from "node:http";
import type { RpcHttpCookie, RpcHttpData, RpcTypedData } from "../functionsCore";

/** .NET's Uri.EscapeDataString: everything but the RFC 3986 unreserved characters is percent-encoded. */
function escapeDataString(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

const SAME_SITE: Record<NonNullable<RpcHttpCookie["sameSite"]>, string | undefined> = {
  none: undefined, // the library's "no SameSite" (SameSiteMode.Unspecified: left out)
  lax: "lax",
  strict: "strict",
  explicitNone: "none",
};

/**
 * A Set-Cookie value as the host writes it: `Response.Cookies.Append(name, value, options)` from the RPC cookie
 * (azure-functions-host `GrpcMessageExtensionUtilities.cs` `RpcHttpCookieConverter`, `RawScriptResult.cs`), i.e.
 * ASP.NET Core's SetCookieHeaderValue: name and value escaped with Uri.EscapeDataString, lower-case attributes in
 * the order expires, max-age, domain, path, secure, samesite, httponly, and `path=/` when none is given
 * (CookieOptions.Path defaults to "/").
 */
export function serializeCookie(cookie: RpcHttpCookie): string {
  let text = `${escapeDataString(cookie.name ?? "")}=${escapeDataString(cookie.value ?? "")}`;
  const expires = cookie.expires?.value;
  if (expires && expires.seconds !== undefined && expires.seconds !== null) {
    const ms = Number(expires.seconds) * 1000 + Math.floor((expires.nanos ?? 0) / 1e6);
    text += `; expires=${new Date(ms).toUTCString()}`;
  }
  const maxAge = cookie.maxAge?.value;
  if (maxAge !== undefined && maxAge !== null) text += `; max-age=${Math.trunc(maxAge)}`;
  if (cookie.domain?.value) text += `; domain=${cookie.domain.value}`;
  text += `; path=${cookie.path?.value ?? "/"}`;
  if (cookie.secure?.value) text += "; secure";
  const sameSite = cookie.sameSite ? SAME_SITE[cookie.sameSite] : undefined;
  if (sameSite) text += `; samesite=${sameSite}`;
  if (cookie.httpOnly?.value) text += "; httponly";
  return text;
}

function bodyBytes(body: RpcTypedData | null | undefined): Buffer | string | undefined {
  if (!body) return undefined;
  if (body.bytes) return Buffer.from(body.bytes.buffer, body.bytes.byteOffset, body.bytes.byteLength);
  if (body.stream) return Buffer.from(body.stream);
  if (body.string !== undefined && body.string !== null) return body.string;
  if (body.json !== undefined && body.json !== null) return body.json;
  if (body.int !== undefined && body.int !== null) return String(body.int);
  if (body.double !== undefined && body.double !== null) return String(body.double);
  return undefined;
}

/** Writes a function's HTTP response; no response at all means 204 No Content. */
export function writeRpcHttpResponse(res: ServerResponse, http: RpcHttpData | undefined): void {
  if (!http) {
    res.statusCode = 204;
    res.end();
    return;
  }
  res.statusCode = http.statusCode ? Number.parseInt(http.statusCode, 10) || 200 : 200;
  for (const [name, value] of Object.entries(http.headers ?? {})) res.setHeader(name, value);
  if (http.cookies && http.cookies.length > 0) {
    const existing = res.getHeader("set-cookie");
    const list = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
    res.setHeader("set-cookie", [...list, ...http.cookies.map(serializeCookie)]);
  }
  const body = bodyBytes(http.body);
  if (body !== undefined && body.length > 0) res.end(body);
  else res.end();
}

/** Every answer the host writes itself is JSON, and says so: browsers must not sniff it into HTML. */
const NOSNIFF = "x-content-type-options";

export function writeJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    [NOSNIFF]: "nosniff",
  });
  res.end(text);
}

export function writeManagementResponse(
  res: ServerResponse,
  response: { status: number; headers?: Record<string, string>; body?: unknown },
): void {
  res.statusCode = response.status;
  const headers = response.headers ?? {};
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader(NOSNIFF, "nosniff");
  if (response.body === undefined || response.body === null) {
    res.end();
  } else if (typeof response.body === "string") {
    res.end(response.body);
  } else {
    if (!res.hasHeader("content-type")) res.setHeader("content-type", "application/json; charset=utf-8");
    res.end(JSON.stringify(response.body));
  }
}
