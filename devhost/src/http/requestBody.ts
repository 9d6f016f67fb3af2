/**
 * Request bodies: read only once a request is routed and authorized, never past the size limit, and refused
 * early. The Functions host lets Kestrel cap bodies at 100 MB (ScriptConstants.DefaultMaxRequestBodySize,
 * set in WebJobs.Script.WebHost/Program.cs), or at FUNCTIONS_REQUEST_BODY_SIZE_LIMIT bytes when that app
 * setting is a number (HttpRequestBodySizeMiddleware); the devhost uses the same default and setting.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";

export const DEFAULT_MAX_REQUEST_BODY_SIZE = 104_857_600;
export const BODY_SIZE_LIMIT_ENV = "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT";

/** An unread body up to this size is read and dropped after a refusal, so the connection stays open. */
const DRAIN_LIMIT = 64 * 1024;
/** How long a closing connection keeps reading (and dropping) what the client still sends. */
const LINGER_MS = 2_000;

/** The limit from FUNCTIONS_REQUEST_BODY_SIZE_LIMIT when it is a whole number of bytes, else the default. */
export function bodySizeLimitFrom(env: NodeJS.ProcessEnv): number {
  const text = env[BODY_SIZE_LIMIT_ENV]?.trim();
  return text && /^\d+$/.test(text) ? Number(text) : DEFAULT_MAX_REQUEST_BODY_SIZE;
}

/** The Content-Length the client declared (Node's parser has already refused malformed ones). */
export function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers["content-length"];
  return header === undefined ? undefined : Number(header);
}

function hasBody(req: IncomingMessage): boolean {
  return req.headers["transfer-encoding"] !== undefined || (declaredLength(req) ?? 0) > 0;
}

export type BodyRead = { kind: "body"; body: Buffer } | { kind: "tooLarge" } | { kind: "aborted" };

/** Reads the body; stops reading as soon as it passes `limit` bytes (or declares more). */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  if ((declaredLength(req) ?? 0) > limit) return Promise.resolve({ kind: "tooLarge" });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: BodyRead): void => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onAbort);
      req.off("close", onAbort);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        req.pause();
        finish({ kind: "tooLarge" });
      } else chunks.push(chunk);
    };
    const onEnd = (): void =>
      finish({ kind: "body", body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size) });
    const onAbort = (): void => finish({ kind: "aborted" });
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onAbort);
    req.on("close", onAbort);
  });
}

/**
 * Prepares a refusal sent before (or instead of) reading the whole body. A small body is left to Node, which
 * reads and drops it after the response, keeping the connection. A larger or unbounded one is not read: the
 * response says `Connection: close`, and the connection closes gracefully (see lingerOnClose).
 */
export function prepareRefusal(req: IncomingMessage, res: ServerResponse, bodyConsumed = false): void {
  if (req.complete || !hasBody(req)) return;
  const declared = declaredLength(req);
  if (!bodyConsumed && declared !== undefined && declared <= DRAIN_LIMIT) return;
  res.setHeader("connection", "close");
  lingerOnClose(req, req.socket);
}

/**
 * A lingering close (as web servers do after an early error answer): closing a socket while the client's body
 * still arrives makes the kernel reset the connection, and the client can lose the answer before reading it.
 * So when Node ends the connection after the response, it sends FIN, keeps reading and dropping the client's
 * data, and destroys the socket when the client closes its side or after LINGER_MS.
 */
function lingerOnClose(req: IncomingMessage, socket: Socket): void {
  socket.destroySoon = function lingeringDestroySoon(this: Socket): void {
    req.removeAllListeners("data");
    req.resume();
    this.resume();
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    timer.unref();
    this.once("close", () => clearTimeout(timer));
    this.once("end", () => this.destroy());
    this.end();
  };
}
