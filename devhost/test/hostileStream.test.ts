/**
 * Hostile requests to an app with HTTP streaming (its bodies stream to the worker's proxy instead of being
 * read by the host): the size limit holds while a body streams, and the forwarded request carries the
 * routed path and a valid host only.
 */
import * as path from "node:path";
import { startHost, type DevHost } from "../src/host";
import { openRequest, rawRequest } from "./helpers/rawHttp";
import { createStubEngine } from "./stubEngine";

const LIMIT = 4096;
let host: DevHost;

beforeAll(async () => {
  host = await startHost({
    appDir: path.join(__dirname, "fixtures/stream-app"),
    port: 0,
    createEngine: createStubEngine().factory,
    log: false,
    maxRequestBodySize: LIMIT,
  });
});
afterAll(() => host.stop());

const tooLarge = { error: "PayloadTooLarge", message: `The request body is larger than ${LIMIT} bytes.` };

test("a body within the limit streams through; a declared larger one is a 413 before anything is forwarded", async () => {
  const body = "b".repeat(LIMIT);
  const ok = await rawRequest(
    host.port,
    `POST /api/upload/fits HTTP/1.1\r\nHost: h\r\nContent-Length: ${LIMIT}\r\nConnection: close\r\n\r\n${body}`,
  );
  expect([ok.status, JSON.parse(ok.body)]).toMatchObject([200, { name: "fits", bytes: LIMIT }]);

  const open = openRequest(host.port, {
    method: "POST",
    path: "/api/upload/big",
    headers: { "content-length": String(LIMIT + 1) },
  });
  open.request.flushHeaders();
  const res = await open.response;
  open.request.destroy();
  expect([res.status, JSON.parse(res.body)]).toEqual([413, tooLarge]);
});

test("a chunked body is cut off with a 413 as soon as it passes the limit, mid-stream", async () => {
  const open = openRequest(host.port, { method: "POST", path: "/api/upload/endless" });
  let answered = false;
  const response = open.response.finally(() => (answered = true));
  let sent = 0;
  while (!answered && sent < 16 * 1024 * 1024) {
    sent += 512;
    if (!open.request.write(Buffer.alloc(512, 1)))
      await new Promise((resolve) => open.request.once("drain", resolve));
    await new Promise((resolve) => setImmediate(resolve));
  }
  const res = await response;
  open.request.destroy();
  expect([res.status, JSON.parse(res.body)]).toEqual([413, tooLarge]);
  expect(sent).toBeLessThan(1024 * 1024);
});

test("the function sees the routed path and a valid host, never a malformed Host header", async () => {
  const res = await rawRequest(
    host.port,
    "POST /api/upload/x/../report?tag=a HTTP/1.1\r\nHost: bad host/x\r\nContent-Length: 1\r\nConnection: close\r\n\r\n!",
  );
  expect(res.status).toBe(200);
  expect(JSON.parse(res.body)).toMatchObject({
    name: "report",
    bytes: 1,
    url: `http://127.0.0.1:${host.port}/api/upload/report?tag=a`,
  });
});
