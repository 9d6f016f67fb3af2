/**
 * The HTTP front end under hostile requests: Host headers, request targets, body sizes, early refusals,
 * malformed HTTP. The stub engine records every management request that reaches it and the fixture counts
 * function invocations, so a refusal is seen not to reach either.
 */
import { once } from "node:events";
import * as net from "node:net";
import * as path from "node:path";
import { startHost, type DevHost } from "../src/host";
import { openRequest, rawExchange, rawRequest, parseResponses } from "./helpers/rawHttp";
import { createStubEngine, type StubEngine } from "./stubEngine";

const appDir = path.join(__dirname, "fixtures/runtime-app");
const LIMIT = 1024;

interface FixtureState {
  preHooks: number;
}
const invocations = (): number =>
  (globalThis as unknown as { __runtimeFixture: FixtureState }).__runtimeFixture.preHooks;

let host: DevHost;
let engine: StubEngine;

beforeAll(async () => {
  process.env.TICK_SCHEDULE = "0 */5 * * * *";
  const stub = createStubEngine();
  engine = stub.engine;
  host = await startHost({
    appDir,
    port: 0,
    createEngine: stub.factory,
    log: false,
    maxRequestBodySize: LIMIT,
    keys: { host: ["host-key"], system: { durabletask_extension: ["system-key"] } },
  });
});
afterAll(() => host.stop());

const get = (pathAndHeaders: string, extra = ""): string =>
  `GET ${pathAndHeaders} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}Connection: close\r\n\r\n`;

describe("Host header", () => {
  test("a malformed Host is never reflected: URLs use the listening address", async () => {
    const listening = `http://127.0.0.1:${host.port}`;
    for (const bad of [
      "bad host",
      "a/b",
      "a@b",
      "x:99999",
      "x:",
      "[::1",
      "evil.test/?",
      'a"b',
      "<script>",
      "a\\b",
      "é.test",
      "h".repeat(300),
    ]) {
      const res = await rawRequest(
        host.port,
        `GET /api/hello HTTP/1.1\r\nHost: ${bad}\r\nConnection: close\r\n\r\n`,
      );
      expect([bad, res.status]).toEqual([bad, 200]);
      expect((JSON.parse(res.body) as { url: string }).url).toBe(`${listening}/api/hello`);

      const before = engine.requests.length;
      const management = await rawRequest(
        host.port,
        `GET /runtime/webhooks/durabletask/instances?code=system-key HTTP/1.1\r\nHost: ${bad}\r\nConnection: close\r\n\r\n`,
      );
      expect(management.status).toBe(202);
      expect(engine.requests.slice(before).map((r) => r.origin)).toEqual([listening]);
    }
  });

  test("a valid host[:port] is used as sent, as the Functions host builds URLs from the request", async () => {
    for (const good of ["example.test", "example.test:8080", "10.1.2.3:7071", "[::1]:7071", "my_host"]) {
      const res = await rawRequest(
        host.port,
        `GET /api/hello?x=1 HTTP/1.1\r\nHost: ${good}\r\nConnection: close\r\n\r\n`,
      );
      expect((JSON.parse(res.body) as { url: string }).url).toBe(`http://${good}/api/hello?x=1`);
    }
  });
});

describe("request targets", () => {
  test("dot segments and encoded unreserved characters are normalized before routing (as Kestrel does)", async () => {
    const described = async (target: string): Promise<{ function: string; url: string }> =>
      JSON.parse((await rawRequest(host.port, get(target))).body) as { function: string; url: string };
    expect(await described("/api/items/../hello")).toMatchObject({
      function: "hello",
      url: `http://127.0.0.1/api/hello`,
    });
    expect((await described("/api/%2e%2e/api/./h%65llo")).function).toBe("hello");
    expect((await described("/../../api/hello")).function).toBe("hello");
    // %2F is not a separator: no route has "items/a/b" as a single name.
    expect((await described("/api/files/a%2Fb")).function).toBe("files");
  });

  test("a target that is not a path is a 400 JSON answer", async () => {
    for (const [method, target] of [
      ["OPTIONS", "*"],
      ["GET", "http://127.0.0.1/api/hello"],
      ["CONNECT", "127.0.0.1:80"],
    ]) {
      const res = await rawRequest(host.port, get(target).replace("GET", method));
      expect([target, res.status, JSON.parse(res.body)]).toEqual([
        target,
        400,
        { error: "BadRequest", message: "The request target must be a path." },
      ]);
    }
  });

  test("a malformed percent-encoding reaches a function route as it is (as Kestrel leaves it)", async () => {
    const res = await rawRequest(host.port, get("/api/items/%zz"));
    expect(res.status).toBe(404);
    const removed = await rawRequest(
      host.port,
      "DELETE /api/items/%E0%A4 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    );
    expect(JSON.parse(removed.body)).toMatchObject({ function: "removeItem", params: { name: "%E0%A4" } });
  });
});

describe("JSON answers", () => {
  test("every answer the host writes itself carries X-Content-Type-Options: nosniff", async () => {
    const answers = [
      await rawRequest(host.port, get("/nowhere")),
      await rawRequest(host.port, get("/admin/host/status")),
      await rawRequest(host.port, get("/api/secure")),
      await rawRequest(host.port, get("/runtime/webhooks/durabletask/instances")),
      await rawRequest(host.port, get("/runtime/webhooks/durabletask/instances?code=system-key")),
      await rawRequest(host.port, "GARBAGE\r\n\r\n"),
    ];
    expect(answers.map((a) => a.status)).toEqual([404, 200, 401, 401, 202, 400]);
    for (const answer of answers) {
      expect(answer.headers["x-content-type-options"]).toBe("nosniff");
      expect(answer.headers["content-type"]).toMatch(/^application\/json/);
    }
  });

  test("requests Node's parser refuses get a JSON 400, or 431 for oversized headers", async () => {
    const garbage = await rawRequest(host.port, "\x00\x01 / HTTP/1.1\r\n\r\n");
    expect([garbage.status, JSON.parse(garbage.body)]).toEqual([
      400,
      { error: "BadRequest", message: "Malformed request" },
    ]);
    const huge = await rawRequest(host.port, get("/api/hello", `x-big: ${"a".repeat(20_000)}\r\n`));
    expect([huge.status, JSON.parse(huge.body)]).toEqual([
      431,
      { error: "RequestHeaderFieldsTooLarge", message: "Malformed request" },
    ]);
    const headOverflow = await rawRequest(
      host.port,
      `HEAD /api/hello HTTP/1.1\r\nHost: h\r\nx-big: ${"a".repeat(20_000)}\r\n\r\n`,
    );
    expect([headOverflow.status, headOverflow.body]).toEqual([431, ""]);
    const badLength = await rawRequest(
      host.port,
      "POST /api/hello HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\nConnection: close\r\n\r\n",
    );
    expect(badLength.status).toBe(400);
  });
});

describe("request bodies", () => {
  const post = (target: string, body: string, extra = ""): string =>
    `POST ${target} HTTP/1.1\r\nHost: h\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`;

  test("a body up to the limit is served; one byte more is a 413 JSON answer that reaches nothing", async () => {
    const atLimit = await rawRequest(host.port, post("/api/hello", "x".repeat(LIMIT)));
    expect(atLimit.status).toBe(200);
    expect((JSON.parse(atLimit.body) as { body: string }).body).toHaveLength(LIMIT);

    const before = { invocations: invocations(), management: engine.requests.length };
    for (const target of ["/api/hello", "/runtime/webhooks/durabletask/instances/x?code=system-key"]) {
      const res = await rawRequest(host.port, post(target, "x".repeat(LIMIT + 1)));
      expect([target, res.status, JSON.parse(res.body)]).toEqual([
        target,
        413,
        { error: "PayloadTooLarge", message: `The request body is larger than ${LIMIT} bytes.` },
      ]);
      expect(res.headers.connection).toBe("close");
    }
    expect({ invocations: invocations(), management: engine.requests.length }).toEqual(before);
  });

  test("a declared 200 MB body is refused at once, before a byte of it is sent", async () => {
    const open = openRequest(host.port, {
      method: "POST",
      path: "/api/hello",
      headers: { "content-length": String(200 * 1024 * 1024) },
    });
    open.request.flushHeaders();
    const res = await open.response;
    open.request.destroy();
    expect(res.status).toBe(413);
  });

  test("a chunked body is refused as soon as it passes the limit, while the client is still sending", async () => {
    const before = invocations();
    const open = openRequest(host.port, { method: "POST", path: "/api/hello" });
    const chunk = Buffer.alloc(256, 0x61);
    let sent = 0;
    let answered = false;
    const response = open.response.finally(() => (answered = true));
    // Keep sending until the answer arrives: an unbounded body, as a hostile client would send.
    while (!answered && sent < 64 * 1024 * 1024) {
      sent += chunk.length;
      if (!open.request.write(chunk)) await new Promise((resolve) => open.request.once("drain", resolve));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const res = await response;
    open.request.destroy();
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ error: "PayloadTooLarge" });
    expect(sent).toBeLessThan(1024 * 1024);
    expect(invocations()).toBe(before);
  });

  test("a client busy uploading still reads its 413: the host closes gracefully, reading and dropping the rest", async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const framings: [string, Buffer][] = [
      ["content-length: 100000000", chunk],
      ["transfer-encoding: chunked", Buffer.concat([Buffer.from("10000\r\n"), chunk, Buffer.from("\r\n")])],
    ];
    for (const [framing, piece] of framings) {
      const socket = net.connect(host.port, "127.0.0.1");
      socket.pause(); // reads nothing while it uploads
      let error = "";
      socket.on("error", (e) => (error = e.message));
      const closed = new Promise((resolve) => socket.once("close", resolve));
      socket.write(`POST /api/hello HTTP/1.1\r\nHost: h\r\n${framing}\r\n\r\n`);
      for (let sent = 0; sent < 4 * 1024 * 1024 && !error; sent += piece.length) {
        if (!socket.write(piece)) await Promise.race([once(socket, "drain"), closed]);
      }
      const received: Buffer[] = [];
      socket.on("data", (d: Buffer) => received.push(d));
      socket.resume();
      await closed;
      const [answer] = parseResponses(Buffer.concat(received).toString("latin1"));
      // Closing at once would reset the connection under the upload: "write EPIPE", and no answer.
      expect([framing, error, answer?.status]).toEqual([framing, "", 413]);
    }
  });

  test("Expect: 100-continue gets its go only once the request is routed, authorized and within the limit", async () => {
    const exchange = async (target: string, length: number, headers: Record<string, string> = {}) => {
      const open = openRequest(host.port, {
        method: "POST",
        path: target,
        headers: { expect: "100-continue", "content-length": String(length), ...headers },
      });
      open.request.on("continue", () => open.request.end("y".repeat(length)));
      open.request.flushHeaders();
      const res = await open.response;
      open.request.destroy();
      return [res.status, open.continues()];
    };
    expect(await exchange("/api/hello", 10)).toEqual([200, 1]);
    expect(await exchange("/api/hello", LIMIT + 1)).toEqual([413, 0]);
    expect(await exchange("/api/nowhere", 10)).toEqual([404, 0]);
    expect(await exchange("/runtime/webhooks/durabletask/instances/x/terminate", 10)).toEqual([401, 0]);
  });

  test("a refusal comes before the body: a client that never finishes its body still gets its answer", async () => {
    const before = engine.requests.length;
    for (const [target, status] of [
      ["/api/nowhere", 404],
      ["/api/secure", 404],
      ["/runtime/webhooks/durabletask/orchestrators/x", 401],
      ["/admin/host/status", 200],
    ] as const) {
      const open = openRequest(host.port, { method: "POST", path: target });
      open.request.write("a partial body that never ends");
      const res = await open.response;
      open.request.destroy();
      expect([target, res.status, res.headers.connection]).toEqual([target, status, "close"]);
    }
    expect(engine.requests.length).toBe(before);
  });

  test("a refused request with a small body keeps its connection for the next request", async () => {
    const body = "z".repeat(100);
    const text = await rawExchange(
      host.port,
      `POST /api/nowhere HTTP/1.1\r\nHost: h\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
        get("/api/hello"),
    );
    expect(parseResponses(text).map((r) => r.status)).toEqual([404, 200]);
  });
});
