/**
 * One HTTP request on a connection of its own (no keep-alive pool), so a test sees exactly what the server
 * did to that request: an answer, or a reset (the promise rejects with the socket error).
 */
import * as http from "node:http";

export interface OneShotReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON when the body is JSON, else the text. */
  body: unknown;
}

export function oneShot(
  url: string,
  method = "GET",
  body?: string,
  headers: Record<string, string> = {},
): Promise<OneShotReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let parsed: unknown = text;
        if (String(res.headers["content-type"] ?? "").includes("json") && text) parsed = JSON.parse(text);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}
