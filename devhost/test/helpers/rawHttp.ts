/**
 * HTTP the way a hostile client sends it: raw bytes over a socket (nothing normalized, any Host header),
 * requests whose body is still being sent when the answer comes, and connections from a chosen remote
 * address (a Duplex stream handed to the server as a connection: Node's http server reads
 * `req.socket.remoteAddress` from it like from a TCP socket).
 */
import * as http from "node:http";
import * as net from "node:net";
import { Duplex } from "node:stream";

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Every response in `text` (a `100 Continue` interim response included), in order. */
export function parseResponses(text: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = text;
  while (rest.startsWith("HTTP/")) {
    const headEnd = rest.indexOf("\r\n\r\n");
    if (headEnd < 0) break;
    const [statusLine, ...lines] = rest.slice(0, headEnd).split("\r\n");
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    rest = rest.slice(headEnd + 4);
    let body = "";
    const status = Number(statusLine.split(" ")[1]);
    if (headers["content-length"] !== undefined) {
      body = rest.slice(0, Number(headers["content-length"]));
      rest = rest.slice(body.length);
    } else if (headers["transfer-encoding"] === "chunked") {
      for (;;) {
        const lineEnd = rest.indexOf("\r\n");
        const size = Number.parseInt(rest.slice(0, lineEnd), 16);
        body += rest.slice(lineEnd + 2, lineEnd + 2 + size);
        rest = rest.slice(lineEnd + 2 + size + 2);
        if (size === 0) break;
      }
    } else if (status >= 200 && status !== 204 && status !== 304) {
      body = rest;
      rest = "";
    }
    responses.push({ status, headers, body });
  }
  return responses;
}

/** Sends `request` as it is on a fresh connection and resolves with everything received until it closes. */
export function rawExchange(port: number, request: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (d: Buffer) => chunks.push(d));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.write(request);
  });
}

/** The last (final) response of a raw exchange. */
export async function rawRequest(port: number, request: string | Buffer): Promise<RawResponse> {
  const responses = parseResponses(await rawExchange(port, request));
  const last = responses.at(-1);
  if (!last) throw new Error("no response");
  return last;
}

/** A connection from `remoteAddress`, fed to `server` directly. */
class RemoteConnection extends Duplex {
  readonly received: Buffer[] = [];
  constructor(readonly remoteAddress: string) {
    super();
  }
  override _read(): void {}
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.received.push(chunk);
    callback();
  }
  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
}

/**
 * Sends `request` (which should say `Connection: close`) to `server` as if from `remoteAddress`, and resolves
 * with the response once the server ends the connection.
 */
export function requestFrom(
  server: http.Server,
  remoteAddress: string,
  request: string,
): Promise<RawResponse> {
  const connection = new RemoteConnection(remoteAddress);
  const finished = new Promise<void>((resolve) => connection.once("finish", () => resolve()));
  server.emit("connection", connection);
  connection.push(request);
  return finished.then(() => {
    const last = parseResponses(Buffer.concat(connection.received).toString("latin1")).at(-1);
    if (!last) throw new Error("no response");
    return last;
  });
}

export interface OpenRequest {
  request: http.ClientRequest;
  /** The response, read whole; resolves even while the request body is still being written. */
  response: Promise<RawResponse>;
  /** Interim `100 Continue` responses seen. */
  continues: () => number;
}

/**
 * Starts a request whose body the caller writes (or never finishes writing). Uses its own agent-less
 * connection; `path` is sent as it is.
 */
export function openRequest(
  port: number,
  options: { method: string; path: string; headers?: http.OutgoingHttpHeaders },
): OpenRequest {
  let continues = 0;
  const request = http.request({ host: "127.0.0.1", port, agent: false, ...options });
  request.on("continue", () => continues++);
  const response = new Promise<RawResponse>((resolve, reject) => {
    request.on("error", reject);
    request.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (d: Buffer) => chunks.push(d));
      res.on("error", reject);
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: Object.fromEntries(
            Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")]),
          ),
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
    });
  });
  return { request, response, continues: () => continues };
}
