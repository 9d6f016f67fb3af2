/**
 * The host's HTTP front end: HTTP-triggered functions under the route prefix, the Durable management API,
 * and `/admin/host/status`. Kept lean per request (no sync fs, no per-request logging, keep-alive on).
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { ActivityTracker } from "../activity";
import type { DurableEngine } from "../contracts";
import type { RuntimeInvoker, RuntimeLog } from "../invoker";
import { isAuthorized, type HostKeys } from "./auth";
import { writeJson, writeManagementResponse, writeRpcHttpResponse } from "./responses";
import type { RouteTable } from "./routes";
import { rpcHttpRequest } from "./rpcRequest";
import type { HttpStreamProxy } from "./streamProxy";

export const WEBHOOK_PATH = "/runtime/webhooks/durabletask";

export interface HttpServerOptions {
  routes: RouteTable;
  invoker: RuntimeInvoker;
  engine: DurableEngine;
  tracker: ActivityTracker;
  keys?: HostKeys;
  log: RuntimeLog;
  /** Whether the host finished loading (for /admin/host/status). */
  isRunning: () => boolean;
  /** Extra mount points of the management API (e.g. the path of the engine's rpcBaseUrl), with trailing "/". */
  managementMounts: () => string[];
  /** Set when the app enabled HTTP streaming: functions' requests and responses go through the worker's proxy. */
  streaming?: HttpStreamProxy;
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function flatHeaders(req: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

/** What a request is for, named in the log when a stop gives up on it. */
interface InFlightRequest {
  label: string;
}

function queryValue(query: string, name: string): string | undefined {
  if (!query.includes(`${name}=`)) return undefined;
  return new URLSearchParams(query).get(name) ?? undefined;
}

export class DevHttpServer {
  readonly server: http.Server;
  private port = 0;
  private stopping = false;
  private readonly inFlight = new Map<http.ServerResponse, InFlightRequest>();
  private whenDrained: (() => void)[] = [];

  constructor(private readonly options: HttpServerOptions) {
    this.server = http.createServer({ keepAlive: true }, (req, res) => this.onRequest(req, res));
    this.server.keepAliveTimeout = 65_000;
  }

  listen(port: number, hostname: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      // A deep accept queue: a burst of a thousand callers connecting at once is queued, not dropped
      // (dropped SYNs are retried by the client only after a second). The kernel caps it at somaxconn.
      this.server.listen({ port, host: hostname, backlog: 4096 }, () => {
        this.server.off("error", reject);
        this.port = (this.server.address() as AddressInfo).port;
        resolve(this.port);
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

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
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
    this.handle(req, res, entry).catch((err: unknown) => {
      this.options.log("error", `Request ${req.method} ${req.url} failed: ${(err as Error)?.stack ?? err}`);
      if (!res.headersSent) writeJson(res, 500, { error: "InternalServerError", message: String(err) });
      else if (!res.writableEnded) res.destroy();
    });
  }

  private isManagementOrStatus(rawUrl: string): boolean {
    const q = rawUrl.indexOf("?");
    const lowerPath = (q < 0 ? rawUrl : rawUrl.slice(0, q)).toLowerCase();
    if (lowerPath === "/admin/host/status") return true;
    return [`${WEBHOOK_PATH}/`, ...this.options.managementMounts()].some(
      (mount) => lowerPath.startsWith(mount.toLowerCase()) || lowerPath === mount.slice(0, -1).toLowerCase(),
    );
  }

  /**
   * A request that arrives while the host stops. The real host holds non-admin requests while it is not
   * running and answers 503 "Function host is not running." after 30 s (azure-functions-host,
   * HostAvailabilityCheckMiddleware and ScriptHostManagerExtensions.DelayUntilHostReady); this host is about
   * to exit, so it answers at once. The body is read first: closing a socket with unread data resets it.
   */
  private refuseWhileStopping(req: http.IncomingMessage, res: http.ServerResponse): void {
    readBody(req).then(
      () => writeJson(res, 503, { error: "HostStopping", detail: "The host is shutting down." }),
      () => res.destroy(),
    );
  }

  private async handle(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    entry: InFlightRequest,
  ): Promise<void> {
    const rawUrl = req.url ?? "/";
    const q = rawUrl.indexOf("?");
    const pathname = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = q < 0 ? "" : rawUrl.slice(q + 1);
    const method = (req.method ?? "GET").toUpperCase();
    const origin = `http://${req.headers.host ?? `127.0.0.1:${this.port}`}`;
    const lowerPath = pathname.toLowerCase();

    if (lowerPath === "/admin/host/status") {
      await readBody(req);
      // Admin routes answer in every state; the real host's status reads "Stopping" while it stops
      // (azure-functions-host, HostController.GetHostStatus and ScriptHostState).
      if (this.stopping) writeJson(res, 200, { state: "Stopping" });
      else if (this.options.isRunning()) writeJson(res, 200, { state: "Running" });
      else writeJson(res, 503, { state: "Initialized" });
      return;
    }

    for (const mount of [`${WEBHOOK_PATH}/`, ...this.options.managementMounts()]) {
      if (lowerPath.startsWith(mount.toLowerCase()) || lowerPath === mount.slice(0, -1).toLowerCase()) {
        const body = await readBody(req);
        const response = await this.options.engine.handleManagement({
          method,
          path: pathname.slice(mount.length),
          query: new URLSearchParams(query),
          headers: flatHeaders(req),
          body: body.toString("utf8"),
          origin,
        });
        if (!res.headersSent) writeManagementResponse(res, response);
        return;
      }
    }

    const match = this.options.routes.match(method, pathname);
    if (!match) {
      await readBody(req);
      writeJson(res, 404, { error: "NotFound", message: `No function matches ${method} ${pathname}` });
      return;
    }
    const { route, params } = match;
    entry.label = `httpTrigger '${route.name}' (${method} ${pathname})`;
    if (route.authLevel !== "anonymous" && this.options.keys) {
      const key = (req.headers["x-functions-key"] as string | undefined) ?? queryValue(query, "code");
      if (!isAuthorized(this.options.keys, route.authLevel, route.name, key)) {
        await readBody(req);
        writeJson(res, 401, {
          error: "Unauthorized",
          message: `Function '${route.name}' requires a valid key`,
        });
        return;
      }
    }

    if (this.options.streaming)
      return this.options.streaming.serve(route.fn, req, res, origin + rawUrl, params);
    const body = await readBody(req);
    const request = rpcHttpRequest(req, origin + rawUrl, params, body);
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
