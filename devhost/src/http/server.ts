/**
 * The host's HTTP front end: HTTP-triggered functions under the route prefix, the Durable management API
 * (public under /runtime/webhooks/durabletask, keyed when keys are configured; keyless for loopback callers on
 * the rpc channel), and `/admin/host/status`. Every request is routed and authorized before its body is read,
 * and bodies are read within the size limit. Kept lean per request (no sync fs, no per-request logging,
 * keep-alive on).
 */
import * as http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { ActivityTracker } from "../activity";
import type { DurableEngine } from "../contracts";
import type { RegisteredFunction } from "../functionsCore";
import type { RuntimeInvoker, RuntimeLog } from "../invoker";
import {
  DURABLE_EXTENSION,
  extensionKey,
  isAuthorized,
  isAuthorizedForExtension,
  presentedKey,
  type HostKeys,
} from "./auth";
import { declaredLength, prepareRefusal, readBody } from "./requestBody";
import { parseRequestTarget, validHost, type RequestTarget } from "./requestTarget";
import { writeJson, writeManagementResponse, writeRpcHttpResponse } from "./responses";
import type { RouteTable } from "./routes";
import { isLoopbackAddress, RPC_PATH } from "./rpcChannel";
import { rpcHttpRequest } from "./rpcRequest";
import type { HttpStreamProxy } from "./streamProxy";
import { responseWithCode } from "./webhookUrls";

export const WEBHOOK_PATH = "/runtime/webhooks/durabletask";

export interface HttpServerOptions {
  routes: RouteTable;
  invoker: RuntimeInvoker;
  engine: DurableEngine;
  tracker: ActivityTracker;
  /** Configured keys (with the Durable extension's system key); undefined: everything is anonymous. */
  keys?: HostKeys;
  log: RuntimeLog;
  /** Whether the host finished loading (for /admin/host/status). */
  isRunning: () => boolean;
  /** The largest request body accepted, in bytes; a larger one is a 413. */
  maxRequestBodySize: number;
  /** Set when the app enabled HTTP streaming: functions' requests and responses go through the worker's proxy. */
  streaming?: HttpStreamProxy;
  /**
   * Serves `/admin/devhost/idle` (any method): answers 200 `{ "state": "Idle" }` once the host is idle (see
   * DevHost.waitForIdle), so tests driving a host in another process can wait for quiescence. Admin level: the
   * master key when keys are configured. Unset (the default): no such route.
   */
  waitForIdle?: () => Promise<void>;
}

export const IDLE_PATH = "/admin/devhost/idle";

/** What a request is for, named in the log when a stop gives up on it. */
interface InFlightRequest {
  label: string;
}

/** Where a request goes once its path is known. */
type Mount = { kind: "webhook" | "rpc"; path: string };

interface RequestContext {
  target: RequestTarget;
  method: string;
  /** "http://" + the request's Host if it is a valid host[:port], else the listening address. */
  origin: string;
  /** The client sent `Expect: 100-continue`: it waits for our go before sending the body. */
  expectsContinue: boolean;
}

function flatHeaders(req: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

/**
 * A JSON answer written straight to a socket (where Node gives us no response object), then close. The answer
 * to a HEAD request has no body (its client would read one as garbage).
 */
function rawJsonAnswer(status: number, message: string, head = false): string {
  const text = JSON.stringify({ error: http.STATUS_CODES[status]?.replace(/ /g, ""), message });
  return (
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n` +
    "content-type: application/json; charset=utf-8\r\n" +
    "x-content-type-options: nosniff\r\n" +
    `content-length: ${Buffer.byteLength(text)}\r\n` +
    "connection: close\r\n\r\n" +
    (head ? "" : text)
  );
}

export class DevHttpServer {
  readonly server: http.Server;
  /** host:port of the listening address, for URLs when a request's Host header is missing or invalid. */
  private authority = "127.0.0.1:0";
  private stopping = false;
  private readonly inFlight = new Map<http.ServerResponse, InFlightRequest>();
  private whenDrained: (() => void)[] = [];

  constructor(private readonly options: HttpServerOptions) {
    this.server = http.createServer({ keepAlive: true }, (req, res) => this.onRequest(req, res, false));
    this.server.keepAliveTimeout = 65_000;
    // With a checkContinue listener Node leaves `100 Continue` to us: we send it only once the request is
    // routed and authorized, so a refused client never sends its body.
    this.server.on("checkContinue", (req, res) => this.onRequest(req, res, true));
    // Requests Node's parser refuses (malformed, oversized headers, timed out) get a JSON answer too.
    this.server.on("clientError", (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket) => {
      const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
      if (err.code === "ECONNRESET" || !socket.writable || inFlight?.headersSent) {
        socket.destroy();
        return;
      }
      const status =
        err.code === "HPE_HEADER_OVERFLOW" ? 431 : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
      // The packet Node could not parse usually starts with the request line (only a guess: there may be none).
      const head = /^HEAD /.test(err.rawPacket?.toString("latin1", 0, 5) ?? "");
      socket.end(rawJsonAnswer(status, "Malformed request", head));
    });
    // CONNECT (a proxy's request, authority-form target) would otherwise close the connection unanswered.
    this.server.on("connect", (_req: http.IncomingMessage, socket: Socket) => {
      socket.end(rawJsonAnswer(400, "The request target must be a path."));
    });
  }

  listen(port: number, hostname: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      // A deep accept queue: a burst of a thousand callers connecting at once is queued, not dropped
      // (dropped SYNs are retried by the client only after a second). The kernel caps it at somaxconn.
      this.server.listen({ port, host: hostname, backlog: 4096 }, () => {
        this.server.off("error", reject);
        const address = this.server.address() as AddressInfo;
        const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
        this.authority = `${host === "0.0.0.0" || host === "[::]" ? "127.0.0.1" : host}:${address.port}`;
        resolve(address);
      });
    });
  }

  /**
   * The host is shutting down: from now on function and other requests get a 503 (the management API still
   * answers, since in-flight functions call it to finish) and every response closes its connection. The
   * listener stays open until `close`, so a caller that connects meanwhile gets an answer rather than a
   * refused connection. Idle keep-alive connections are closed by `close`, not now: functions in flight
   * hold some of them in their own client pools (this process calls itself), and one closed under a request
   * it is about to send would fail that request.
   */
  beginStopping(): void {
    this.stopping = true;
    for (const res of this.inFlight.keys()) if (!res.headersSent) res.setHeader("connection", "close");
  }

  /** Requests being answered, described for the log. */
  requestsInFlight(): string[] {
    return [...this.inFlight.values()].map((r) => r.label);
  }

  /** Resolves once no request is being answered. */
  whenRequestsDone(): Promise<void> {
    if (this.inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.whenDrained.push(resolve));
  }

  /** Answers every request still in flight with a 503 (their functions' answers, if any come, are dropped). */
  abandonRequests(detail: string): void {
    for (const res of this.inFlight.keys()) {
      if (res.headersSent) continue;
      res.setHeader("connection", "close");
      writeJson(res, 503, { error: "HostStopping", detail });
    }
  }

  /**
   * Stops listening and closes idle keep-alive connections, answers any request still unanswered with a 503,
   * and closes the remaining connections once the answers are handed to the kernel (closing a socket earlier
   * could cut one short).
   */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    this.abandonRequests("The host is shutting down.");
    await this.whenRequestsDone();
    this.server.closeAllConnections();
    await closed;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse, expectsContinue: boolean): void {
    const waitForIdle = this.options.waitForIdle;
    if (
      waitForIdle &&
      !this.stopping &&
      parseRequestTarget(req.url ?? "/")?.path.toLowerCase() === IDLE_PATH
    ) {
      // Not counted as a request in flight: it waits for there being none.
      this.serveIdle(req, res, waitForIdle).catch((err: unknown) => {
        if (!res.headersSent)
          this.refuse(req, res, 500, { error: "InternalServerError", message: String(err) });
      });
      return;
    }
    const done = this.options.tracker.begin();
    const entry: InFlightRequest = { label: `${req.method ?? "GET"} ${req.url ?? "/"}` };
    this.inFlight.set(res, entry);
    const ended = (): void => {
      done();
      if (!this.inFlight.delete(res) || this.inFlight.size > 0) return;
      const waiters = this.whenDrained;
      this.whenDrained = [];
      for (const resolve of waiters) resolve();
    };
    res.once("finish", ended);
    res.once("close", ended);
    if (this.stopping) {
      res.setHeader("connection", "close");
      if (!this.isManagementOrStatus(req.url ?? "/")) {
        this.refuseWhileStopping(req, res);
        return;
      }
    }
    this.handle(req, res, expectsContinue, entry).catch((err: unknown) => {
      this.options.log("error", `Request ${req.method} ${req.url} failed: ${(err as Error)?.stack ?? err}`);
      if (!res.headersSent)
        this.refuse(req, res, 500, { error: "InternalServerError", message: String(err) });
      else if (!res.writableEnded) res.destroy();
    });
  }

  private async serveIdle(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    waitForIdle: () => Promise<void>,
  ): Promise<void> {
    const target = parseRequestTarget(req.url ?? "/");
    const key = presentedKey(req.headersDistinct["x-functions-key"], new URLSearchParams(target?.query));
    if (!isAuthorized(this.options.keys, "admin", "", key)) {
      this.refuse(req, res, 401, { error: "Unauthorized", message: "The master key is required." });
      return;
    }
    await waitForIdle();
    this.refuse(req, res, 200, { state: "Idle" });
  }

  private isManagementOrStatus(rawUrl: string): boolean {
    const target = parseRequestTarget(rawUrl);
    if (!target) return false;
    const lowerPath = target.path.toLowerCase();
    return lowerPath === "/admin/host/status" || managementMount(lowerPath) !== undefined;
  }

  /**
   * A request that arrives while the host stops. The real host holds non-admin requests while it is not
   * running and answers 503 "Function host is not running." after 30 s (azure-functions-host,
   * HostAvailabilityCheckMiddleware and ScriptHostManagerExtensions.DelayUntilHostReady); this host is about
   * to exit, so it answers at once, without reading the body (the connection closes gracefully).
   */
  private refuseWhileStopping(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.refuse(req, res, 503, { error: "HostStopping", detail: "The host is shutting down." }, true);
  }

  /** A JSON answer given without reading the request's body (or after giving up on it). */
  private refuse(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    status: number,
    body: Record<string, unknown>,
    bodyConsumed = false,
  ): void {
    prepareRefusal(req, res, bodyConsumed);
    writeJson(res, status, body);
  }

  private async handle(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    expectsContinue: boolean,
    entry: InFlightRequest,
  ): Promise<void> {
    const target = parseRequestTarget(req.url ?? "/");
    if (!target) {
      this.refuse(req, res, 400, { error: "BadRequest", message: "The request target must be a path." });
      return;
    }
    const ctx: RequestContext = {
      target,
      method: (req.method ?? "GET").toUpperCase(),
      origin: `http://${validHost(req.headers.host) ?? this.authority}`,
      expectsContinue,
    };
    const lowerPath = target.path.toLowerCase();

    if (lowerPath === "/admin/host/status") {
      // Admin routes answer in every state; the real host's status reads "Stopping" while it stops
      // (azure-functions-host, HostController.GetHostStatus and ScriptHostState).
      if (this.stopping) this.refuse(req, res, 200, { state: "Stopping" });
      else if (this.options.isRunning()) this.refuse(req, res, 200, { state: "Running" });
      else this.refuse(req, res, 503, { state: "Initialized" });
      return;
    }
    const mount = managementMount(lowerPath);
    if (mount) return this.serveManagement(req, res, ctx, mount);
    return this.serveFunction(req, res, ctx, entry);
  }

  /** 413, and the connection closes: the rest of the body is not read. */
  private refuseTooLarge(req: http.IncomingMessage, res: http.ServerResponse): void {
    const message = `The request body is larger than ${this.options.maxRequestBodySize} bytes.`;
    this.refuse(req, res, 413, { error: "PayloadTooLarge", message }, true);
  }

  /** The body within the limit, or undefined once the request has been answered (413) or has gone away. */
  private async body(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    ctx: RequestContext,
  ): Promise<Buffer | undefined> {
    const limit = this.options.maxRequestBodySize;
    if (ctx.expectsContinue && !((declaredLength(req) ?? 0) > limit)) res.writeContinue();
    const read = await readBody(req, limit);
    if (read.kind === "body") return read.body;
    if (read.kind === "tooLarge") this.refuseTooLarge(req, res);
    return undefined;
  }

  private async serveManagement(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    ctx: RequestContext,
    mount: Mount,
  ): Promise<void> {
    const { keys } = this.options;
    const query = new URLSearchParams(ctx.target.query);
    if (mount.kind === "rpc" && !isLoopbackAddress(req.socket.remoteAddress)) {
      this.refuse(req, res, 403, {
        error: "Forbidden",
        message: "The Durable RPC endpoint answers callers on this machine (loopback) only.",
      });
      return;
    }
    if (
      mount.kind === "webhook" &&
      !isAuthorizedForExtension(
        keys,
        DURABLE_EXTENSION,
        presentedKey(req.headersDistinct["x-functions-key"], query),
      )
    ) {
      this.refuse(req, res, 401, {
        error: "Unauthorized",
        message:
          "The Durable management API requires the durabletask_extension system key or the master key.",
      });
      return;
    }
    const body = await this.body(req, res, ctx);
    if (body === undefined) return;
    const rest = ctx.target.path.slice(mount.path.length);
    let response = await this.options.engine.handleManagement({
      method: ctx.method,
      path: rest.replace(/^\/+/, ""),
      query,
      headers: flatHeaders(req),
      body: body.toString("utf8"),
      origin: ctx.origin,
    });
    const code = extensionKey(keys, DURABLE_EXTENSION);
    if (code !== undefined) response = responseWithCode(response, `${ctx.origin}${WEBHOOK_PATH}`, code);
    // Already answered when a stop gave up on this request.
    if (!res.headersSent) writeManagementResponse(res, response);
  }

  /** A function of an app with HTTP streaming: the body streams to the worker, within the limit. */
  private async serveStream(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    ctx: RequestContext,
    fn: RegisteredFunction,
    url: string,
    params: Record<string, string>,
  ): Promise<void> {
    const streaming = this.options.streaming as HttpStreamProxy;
    const limit = this.options.maxRequestBodySize;
    if ((declaredLength(req) ?? 0) > limit) return this.refuseTooLarge(req, res);
    if (ctx.expectsContinue) res.writeContinue();
    await streaming.serve(fn, req, res, url, params, {
      bytes: limit,
      exceeded: () => {
        if (!res.headersSent) this.refuseTooLarge(req, res);
        else res.destroy();
      },
    });
  }

  private async serveFunction(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    ctx: RequestContext,
    entry: InFlightRequest,
  ): Promise<void> {
    const { method, target } = ctx;
    const match = this.options.routes.match(method, target.path);
    if (!match) {
      this.refuse(req, res, 404, {
        error: "NotFound",
        message: `No function matches ${method} ${target.path}`,
      });
      return;
    }
    const { route, params } = match;
    entry.label = `httpTrigger '${route.name}' (${method} ${target.path})`;
    if (route.authLevel !== "anonymous" && this.options.keys) {
      const key = presentedKey(req.headersDistinct["x-functions-key"], new URLSearchParams(target.query));
      if (!isAuthorized(this.options.keys, route.authLevel, route.name, key)) {
        this.refuse(req, res, 401, {
          error: "Unauthorized",
          message: `Function '${route.name}' requires a valid key`,
        });
        return;
      }
    }

    const url = `${ctx.origin}${target.path}${target.query ? `?${target.query}` : ""}`;
    if (this.options.streaming) return this.serveStream(req, res, ctx, route.fn, url, params);
    const body = await this.body(req, res, ctx);
    if (body === undefined) return;
    const request = rpcHttpRequest(req, url, params, body);
    try {
      const response = await this.options.invoker.invokeHttp(route.fn, request);
      // Already answered when a stop gave up on this invocation.
      if (!res.headersSent) writeRpcHttpResponse(res, response);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.options.log("error", `Executed '${route.name}' (Failed): ${message}`, route.name);
      if (!res.headersSent)
        writeJson(res, 500, { error: "FunctionInvocationError", function: route.name, message });
    }
  }
}

/** The management API's mount a (lower-case, normalized) path falls under, if any. */
function managementMount(lowerPath: string): Mount | undefined {
  for (const mount of [
    { kind: "webhook", path: WEBHOOK_PATH },
    { kind: "rpc", path: RPC_PATH },
  ] as const) {
    if (lowerPath === mount.path || lowerPath.startsWith(`${mount.path}/`)) return mount;
  }
  return undefined;
}
