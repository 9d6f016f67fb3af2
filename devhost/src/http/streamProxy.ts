/**
 * HTTP streaming (`app.setup({ enableHttpStream: true })`), as the Functions host does it.
 *
 * When the worker reports an `HttpUri` capability, the host forwards each request of an HTTP-triggered function to
 * that address (the proxy server @azure/functions starts in `src/http/httpProxy.ts`), with the invocation id in
 * `x-ms-invocation-id` and the original host and scheme in `X-Forwarded-Host` / `X-Forwarded-Proto`, and copies the
 * proxy's answer back to the caller, bodies streamed both ways (azure-functions-host
 * `src/WebJobs.Script.Grpc/Server/DefaultHttpProxyService.cs`, YARP's forwarder). At the same time it sends the
 * invocation over RPC with an empty HTTP object; @azure/functions pairs the two by invocation id.
 *
 * Two cases differ on purpose: when the handler throws, the real host never answers (the library writes no proxy
 * response; nodejs-library issue #324) and the caller waits for the host's 240 s forwarding timeout; when it
 * returns no response, likewise. The devhost answers 500 (with the error, logged) and 204 instead.
 */
import { randomUUID } from "node:crypto";
import * as http from "node:http";
import { Transform } from "node:stream";
import type { RegisteredFunction } from "../functionsCore";
import type { RuntimeInvoker, RuntimeLog } from "../invoker";
import { writeJson } from "./responses";
import { rpcHttpRequest } from "./rpcRequest";

export const INVOCATION_ID_HEADER = "x-ms-invocation-id";

/** Hop-by-hop headers a proxy does not pass on (RFC 9110 section 7.6.1), plus the Host the target sets itself. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

function forwardable(headers: http.IncomingHttpHeaders, also: string[] = []): http.OutgoingHttpHeaders {
  const result: http.OutgoingHttpHeaders = {};
  const drop = new Set([...HOP_BY_HOP, ...also]);
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !drop.has(name)) result[name] = value;
  }
  return result;
}

/** The request body's size limit while it streams through: `exceeded` is called once it passes `bytes`. */
export interface StreamedBodyLimit {
  bytes: number;
  exceeded(): void;
}

interface Forwarding {
  /** Settles when the caller's response has ended (or the connection closed). */
  done: Promise<void>;
  /** Gives up on the proxy's answer (the invocation failed or returned nothing). */
  abort(): void;
}

export class HttpStreamProxy {
  private readonly agent = new http.Agent({ keepAlive: true });

  constructor(
    private readonly target: URL,
    private readonly invoker: RuntimeInvoker,
    private readonly log: RuntimeLog,
  ) {}

  /**
   * Serves one request of an HTTP-triggered function through the worker's proxy. `url` is the request's URL as
   * routed (normalized path, validated host): the forwarded request goes to its path and query.
   */
  async serve(
    fn: RegisteredFunction,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: string,
    params: Record<string, string>,
    limit: StreamedBodyLimit,
  ): Promise<void> {
    const name = fn.metadata.name;
    const request = rpcHttpRequest(req, url, params, Buffer.alloc(0));
    if (this.invoker.refusesDisabled(fn, request)) {
      req.resume();
      res.statusCode = 404;
      res.end();
      return;
    }
    const invocationId = randomUUID();
    const forwarding = this.forward(req, res, new URL(url), invocationId, name, limit);
    let responded: boolean;
    try {
      responded = await this.invoker.invokeHttpStream(fn, request, invocationId);
    } catch (err) {
      forwarding.abort();
      const message = err instanceof Error ? err.message : String(err);
      this.log("error", `Executed '${name}' (Failed): ${message}`, name);
      if (!res.headersSent)
        writeJson(res, 500, { error: "FunctionInvocationError", function: name, message });
      else if (!res.writableEnded) res.destroy();
      return;
    }
    if (!responded) {
      forwarding.abort();
      if (!res.headersSent) {
        res.statusCode = 204;
        res.end();
      }
      return;
    }
    await forwarding.done;
  }

  close(): void {
    this.agent.destroy();
  }

  private forward(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    invocationId: string,
    name: string,
    limit: StreamedBodyLimit,
  ): Forwarding {
    // Path and query set on a copy of the proxy's address: a path like "//elsewhere/x" stays a path.
    const target = new URL(this.target);
    target.pathname = url.pathname;
    target.search = url.search;
    const headers = forwardable(req.headers, ["host"]);
    headers[INVOCATION_ID_HEADER] = invocationId;
    headers["x-forwarded-host"] = url.host;
    headers["x-forwarded-proto"] = "http";
    const client = req.socket.remoteAddress;
    if (client) {
      const prior = req.headers["x-forwarded-for"];
      headers["x-forwarded-for"] = prior ? `${String(prior)}, ${client}` : client;
    }

    let aborted = false;
    const done = new Promise<void>((resolve) => {
      res.once("finish", resolve);
      res.once("close", resolve);
    });
    const proxyReq = http.request(target, { method: req.method, headers, agent: this.agent });
    proxyReq.on("response", (proxyRes) => {
      res.writeHead(proxyRes.statusCode ?? 200, forwardable(proxyRes.headers));
      // Flushes the status line and headers now, so the caller sees them before the first body chunk.
      res.flushHeaders();
      proxyRes.pipe(res);
      proxyRes.on("error", () => res.destroy());
    });
    proxyReq.on("error", (err) => {
      if (aborted) return;
      this.log("error", `Forwarding the request of '${name}' to the worker failed: ${err.message}`, name);
      if (!res.headersSent)
        writeJson(res, 502, { error: "BadGateway", function: name, message: err.message });
      else res.destroy();
    });
    // The caller went away: stop the forwarded request too.
    res.once("close", () => {
      if (!res.writableFinished) proxyReq.destroy();
    });
    // The body passes through a counter: past the limit, forwarding stops and the caller is told (413).
    let seen = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        seen += chunk.length;
        if (seen <= limit.bytes) return callback(null, chunk);
        callback();
        stop();
        limit.exceeded();
      },
    });
    const stop = (): void => {
      aborted = true;
      req.unpipe(counter);
      counter.unpipe(proxyReq);
      proxyReq.destroy();
    };
    req.pipe(counter).pipe(proxyReq);
    return {
      done,
      abort: () => {
        stop();
        req.resume();
      },
    };
  }
}
