/** Writing RPC HTTP responses (status, headers, cookies, body) and the host's own JSON replies to node:http. */
import type { ServerResponse } from "node:http";
import type { RpcHttpCookie, RpcHttpData, RpcTypedData } from "../functionsCore";

export function serializeCookie(cookie: RpcHttpCookie): string {
  let text = `${cookie.name ?? ""}=${encodeURIComponent(cookie.value ?? "")}`;
  if (cookie.domain?.value) text += `; Domain=${cookie.domain.value}`;
  if (cookie.path?.value) text += `; Path=${cookie.path.value}`;
  const expires = cookie.expires?.value;
  if (expires && expires.seconds !== undefined && expires.seconds !== null) {
    const ms = Number(expires.seconds) * 1000 + Math.floor((expires.nanos ?? 0) / 1e6);
    text += `; Expires=${new Date(ms).toUTCString()}`;
  }
  const maxAge = cookie.maxAge?.value;
  if (maxAge !== undefined && maxAge !== null) text += `; Max-Age=${Math.floor(maxAge)}`;
  if (cookie.secure?.value) text += "; Secure";
  if (cookie.httpOnly?.value) text += "; HttpOnly";
  switch (cookie.sameSite) {
    case "lax":
      text += "; SameSite=Lax";
      break;
    case "strict":
      text += "; SameSite=Strict";
      break;
    case "explicitNone":
      text += "; SameSite=None";
      break;
  }
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
