/**
 * An app on @azure/functions 4.3.0 (the dev dependency alias "azure-functions-v4.3", installed side by side with
 * the current version). 4.0-4.3 build `request.query` only from the RPC request's `nullableQuery`/`query` maps
 * (nodejs-library src/http/HttpRequest.ts at v4.3.0, `fromNullableMapping(init.nullableQuery, init.query)`); the
 * host fills `nullableQuery` for the Node worker, which declares UseNullableValueDictionaryForHttp
 * (nodejs-worker src/eventHandlers/getWorkerCapabilities.ts; azure-functions-host
 * GrpcMessageConversionExtensions.cs ToRpcHttp).
 */
import * as path from "node:path";
import { startHost, type DevHost } from "../src/host";
import { createStubEngine } from "./stubEngine";

let host: DevHost;

beforeAll(async () => {
  host = await startHost({
    appDir: path.join(__dirname, "fixtures/legacy-library-app"),
    port: 0,
    createEngine: createStubEngine().factory,
    log: false,
  });
});

afterAll(async () => {
  await host.stop();
});

test("the fixture really runs @azure/functions 4.3.0", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  expect(require("azure-functions-v4.3/package.json").version).toBe("4.3.0");
});

test("request.query, params and headers are filled for @azure/functions 4.3", async () => {
  const res = await fetch(`${host.baseUrl}/api/search/books?q=dune&page=2&tag=a&tag=b`, {
    headers: { "x-test": "yes" },
  });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({
    query: { q: "dune", page: "2", tag: "a,b" },
    params: { category: "books" },
    header: "yes",
  });
});
