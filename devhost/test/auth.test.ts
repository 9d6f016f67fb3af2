import * as path from "node:path";
import { isAuthorized, keysConfigured, parseHostKeys } from "../src/http/auth";
import { startHost, type DevHost } from "../src/host";
import { createStubEngine } from "./stubEngine";

const appDir = path.join(__dirname, "fixtures/runtime-app");

describe("key rules", () => {
  const keys = parseHostKeys('{"master":"m","host":["h"],"functions":{"secure":["s"]}}');

  test("parses JSON keys", () => {
    expect(keys).toEqual({ master: "m", host: ["h"], functions: { secure: ["s"] }, system: {} });
    expect(() => parseHostKeys("nope")).toThrow(/Invalid keys/);
    expect(keysConfigured(parseHostKeys("{}"))).toBe(false);
  });

  test("applies auth levels", () => {
    expect(isAuthorized(keys, "anonymous", "x", undefined)).toBe(true);
    expect(isAuthorized(keys, "function", "secure", "s")).toBe(true);
    expect(isAuthorized(keys, "function", "other", "s")).toBe(false);
    expect(isAuthorized(keys, "function", "other", "h")).toBe(true);
    expect(isAuthorized(keys, "function", "other", "m")).toBe(true);
    expect(isAuthorized(keys, "function", "other", undefined)).toBe(false);
    expect(isAuthorized(keys, "admin", "x", "h")).toBe(false);
    expect(isAuthorized(keys, "admin", "x", "m")).toBe(true);
    expect(isAuthorized(undefined, "admin", "x", undefined)).toBe(true);
  });
});

describe("without keys, like func start", () => {
  let host: DevHost;
  beforeAll(async () => {
    process.env.TICK_SCHEDULE = "0 */5 * * * *";
    host = await startHost({ appDir, port: 0, createEngine: createStubEngine().factory, log: false });
  });
  afterAll(() => host.stop());

  test("every auth level is open", async () => {
    expect((await fetch(`${host.baseUrl}/api/secure`)).status).toBe(200);
    expect((await fetch(`${host.baseUrl}/api/adminOnly`)).status).toBe(200);
  });
});

describe("with keys", () => {
  let host: DevHost;
  beforeAll(async () => {
    process.env.TICK_SCHEDULE = "0 */5 * * * *";
    host = await startHost({
      appDir,
      port: 0,
      keys: { master: "master-key", host: ["host-key"], functions: { secure: ["secure-key"] } },
      createEngine: createStubEngine().factory,
      log: false,
    });
  });
  afterAll(() => host.stop());

  const status = async (pathAndQuery: string, headers?: Record<string, string>): Promise<number> =>
    (await fetch(host.baseUrl + pathAndQuery, { headers })).status;

  test("function level needs a host, function or master key via ?code= or x-functions-key", async () => {
    expect(await status("/api/secure")).toBe(401);
    expect(await status("/api/secure?code=wrong")).toBe(401);
    expect(await status("/api/secure?code=secure-key")).toBe(200);
    expect(await status("/api/secure?code=host-key")).toBe(200);
    expect(await status("/api/secure", { "x-functions-key": "master-key" })).toBe(200);
  });

  test("admin level needs the master key", async () => {
    expect(await status("/api/adminOnly?code=host-key")).toBe(401);
    expect(await status("/api/adminOnly", { "x-functions-key": "master-key" })).toBe(200);
  });

  test("anonymous functions stay open and a 401 is JSON", async () => {
    expect(await status("/api/hello")).toBe(200);
    const res = await fetch(`${host.baseUrl}/api/secure`);
    expect(await res.json()).toEqual({
      error: "Unauthorized",
      message: "Function 'secure' requires a valid key",
    });
  });
});
