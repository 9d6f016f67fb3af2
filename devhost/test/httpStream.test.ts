/**
 * `app.setup({ enableHttpStream: true })`: requests and responses go through @azure/functions' streaming proxy,
 * as the host forwards them (azure-functions-host src/WebJobs.Script.Grpc/Server/DefaultHttpProxyService.cs;
 * nodejs-library src/http/httpProxy.ts and createStreamRequest in src/http/HttpRequest.ts).
 */
import * as http from "node:http";
import * as path from "node:path";
import { startHost, type DevHost } from "../src/host";
import { createStubEngine } from "./stubEngine";

interface StreamFixture {
  gates: Record<string, { promise: Promise<void>; open: () => void }>;
}
const gate = (name: string): { promise: Promise<void>; open: () => void } => {
  const state = ((globalThis as unknown as { __streamFixture?: StreamFixture }).__streamFixture ??= {
    gates: {},
  });
  state.gates[name] ??= (() => {
    let open!: () => void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    return { promise, open };
  })();
  return state.gates[name];
};

let host: DevHost;
const logs: string[] = [];

beforeAll(async () => {
  host = await startHost({
    appDir: path.join(__dirname, "fixtures/stream-app"),
    port: 0,
    createEngine: createStubEngine().factory,
    log: (level, message) => logs.push(`${level}: ${message}`),
  });
});

afterAll(async () => {
  await host.stop();
});

test("a streamed request body reaches the function while the caller is still sending it", async () => {
  const result = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      `${host.baseUrl}/api/upload/report?tag=a&tag=b`,
      { method: "POST", headers: { "x-test": "yes", "transfer-encoding": "chunked" } },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.write(Buffer.alloc(1000, 1));
    // The second chunk goes only once the function has read the first: the body is streamed, not buffered.
    void gate("firstChunkRead").promise.then(() => req.end(Buffer.alloc(24, 2)));
  });
  const { status, body } = await result;
  expect(status).toBe(200);
  expect(JSON.parse(body)).toEqual({
    name: "report",
    bytes: 1024,
    // Streaming reads the query from the URL, so repeated names stay separate (nodejs-library PR #238).
    query: { tag: "b" },
    tags: ["a", "b"],
    header: "yes",
    url: `${host.baseUrl}/api/upload/report?tag=a&tag=b`,
  });
});

test("a streamed response body arrives chunk by chunk while the function still writes it", async () => {
  const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
    http.get(`${host.baseUrl}/api/ticker`, resolve).on("error", reject),
  );
  expect(res.statusCode).toBe(200);
  expect(res.headers["content-type"]).toBe("text/plain");
  expect(res.headers["set-cookie"]).toEqual(["s=1; HttpOnly"]);
  // The host passes the worker's headers on, its invocation id among them.
  expect(res.headers["x-ms-invocation-id"]).toMatch(/^[0-9a-f-]{36}$/);
  res.setEncoding("utf8");
  const chunks: string[] = [];
  for await (const chunk of res) {
    chunks.push(chunk as string);
    // The function's second chunk waits for this gate: the first one arrived before the function finished.
    if (chunks.join("") === "first\n") gate("firstChunkSeen").open();
  }
  expect(chunks.join("")).toBe("first\nsecond\n");
});

test("a throwing function answers 500 with its message (the real host never answers: library issue #324)", async () => {
  const res = await fetch(`${host.baseUrl}/api/streamBoom`);
  expect(res.status).toBe(500);
  expect(await res.json()).toEqual({
    error: "FunctionInvocationError",
    function: "streamBoom",
    message: "stream kaboom",
  });
  expect(logs).toContain("error: Executed 'streamBoom' (Failed): stream kaboom");
});

test("a function that returns no response answers 204", async () => {
  const res = await fetch(`${host.baseUrl}/api/streamNothing`);
  expect(res.status).toBe(204);
});
