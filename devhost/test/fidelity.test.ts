/**
 * Fidelity of the HTTP front end and function settings against the real host, on a fixture app that uses each
 * feature the way real apps do (test/fixtures/fidelity-app). Each expectation names its source.
 */
import * as http from "node:http";
import * as path from "node:path";
import { startHost, type DevHost } from "../src/host";
import { formatFunctionList } from "../src/functionList";

const appDir = path.join(__dirname, "fixtures/fidelity-app");

interface FidelityState {
  timerRuns: { disabledTimer: number; enabledTimer: number };
  ran: string[];
}
const fixture = (): FidelityState =>
  (globalThis as unknown as { __fidelityFixture: FidelityState }).__fidelityFixture;

let host: DevHost;
const logs: string[] = [];

beforeAll(async () => {
  host = await startHost({
    appDir,
    port: 0,
    virtualTime: true,
    traceInvocations: true,
    log: (level, message) => logs.push(`${level}: ${message}`),
  });
  await host.waitForIdle();
});

afterAll(async () => {
  await host.stop();
});

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A request with raw header lines (repeated names stay separate lines, which fetch cannot send). */
function rawRequest(method: string, pathAndQuery: string, headerLines: string[] = [], body?: Buffer) {
  return new Promise<RawResponse>((resolve, reject) => {
    // Raw header lines replace Node's defaults, Host included.
    const headers = ["host", new URL(host.baseUrl).host, ...headerLines];
    const req = http.request(host.baseUrl + pathAndQuery, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

test("query, route parameters, repeated headers, user, invocation id and binary body reach the function as on the host", async () => {
  const principal = {
    identityProvider: "github",
    userId: "u-1",
    userDetails: "ann",
    userRoles: ["authenticated"],
  };
  const body = Buffer.from([0, 1, 2, 250, 255]);
  const res = await rawRequest(
    "POST",
    "/api/inspect/42?tag=a&tag=b&flag&sp=a+b%20c",
    [
      "x-multi",
      "1",
      "x-multi",
      "2",
      "cookie",
      "a=1",
      "x-ms-client-principal",
      Buffer.from(JSON.stringify(principal)).toString("base64"),
      "content-type",
      "application/octet-stream",
    ],
    body,
  );
  expect(res.status).toBe(200);
  const seen = JSON.parse(res.body.toString("utf8"));
  expect(seen).toMatchObject({
    url: `${host.baseUrl}/api/inspect/42?tag=a&tag=b&flag&sp=a+b%20c`,
    // The host fills nullableQuery with StringValues.ToString(): a repeated name is joined with ","
    // (GrpcMessageConversionExtensions.cs ToRpcHttp; nodejs-library issue #168); "?flag" is "".
    query: { tag: "a,b", flag: "", sp: "a b c" },
    tags: ["a,b"],
    flag: "",
    // Route data only holds the parameters that matched (no key for the missing optional {rest?}).
    params: { id: "42" },
    // Repeated request headers are one value joined with "," (same StringValues.ToString()).
    multi: "1,2",
    cookie: "a=1",
    // nodejs-library src/http/extractHttpUserFromHeaders.ts: Static Web Apps principal from the header.
    user: {
      type: "StaticWebApps",
      id: "u-1",
      username: "ann",
      identityProvider: "github",
      claimsPrincipalData: principal,
    },
    // nodejs-library src/converters/fromRpcTriggerMetadata.ts: HTTP triggers get no triggerMetadata.
    triggerMetadata: null,
    // The host sends a RetryContext only under a retry policy (ScriptInvocationContextExtensions.cs SetRetryContext).
    retryContext: null,
    // RawHttpBodyBytes: the body arrives as the exact bytes.
    bodyHex: "000102faff",
  });
  // context.invocationId is the id the host logs for the invocation (func start's Executing/Executed lines).
  expect(seen.invocationId).toMatch(/^[0-9a-f-]{36}$/);
  const id = seen.invocationId as string;
  expect(
    logs.some(
      (l) => l.startsWith("information: Executing 'Functions.inspect' (Reason=") && l.endsWith(`Id=${id})`),
    ),
  ).toBe(true);
  expect(
    logs.some((l) =>
      l.startsWith(`information: Executed 'Functions.inspect' (Succeeded, Id=${id}, Duration=`),
    ),
  ).toBe(true);
});

test("binary request and response bodies pass through byte for byte", async () => {
  const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const res = await rawRequest("POST", "/api/binary", ["content-type", "image/png"], bytes);
  expect(res.status).toBe(200);
  expect(res.headers["content-type"]).toBe("image/png");
  expect(res.body.equals(bytes)).toBe(true);
});

test("cookies are written as ASP.NET Core writes them", async () => {
  const res = await rawRequest("GET", "/api/setCookies");
  // azure-functions-host GrpcMessageExtensionUtilities.cs RpcHttpCookieConverter + RawScriptResult.cs
  // (Response.Cookies.Append): escaped value, lower-case attributes, path=/ by default; the library maps
  // sameSite "None" to explicitNone, which the host writes as samesite=none (nodejs-library toRpcHttpCookie.ts).
  expect(res.headers["set-cookie"]).toEqual([
    "session=v%3D1%3Bx; expires=Wed, 02 Jan 2030 03:04:05 GMT; domain=example.test; path=/app; secure; samesite=none; httponly",
    "prefs=dark; max-age=3600; path=/; samesite=lax",
  ]);
  expect(res.headers["cache-control"]).toBe("no-store");
});

test("output bindings the devhost does not serve are named at startup and their values reported dropped once", async () => {
  const startup = logs.filter((l) => l.includes("is not supported by the devhost"));
  // @azure/functions names unnamed bindings itself (e.g. "queueOutput<hash>").
  expect(startup).toEqual([
    expect.stringMatching(
      /^warning: Function 'placeOrder': output binding 'queueOutput\w+' \(queue\) is not supported by the devhost; values written to it are dropped\.$/,
    ),
    expect.stringMatching(
      /^warning: Function 'placeOrder': output binding 'blobOutput\w+' \(blob\) is not supported by the devhost; values written to it are dropped\.$/,
    ),
  ]);
  // The HTTP trigger's $return (type http) is served, so it is not named.
  expect(startup.some((l) => l.includes("'$return'"))).toBe(false);

  for (const id of [1, 2]) {
    const res = await fetch(`${host.baseUrl}/api/placeOrder`, {
      method: "POST",
      body: JSON.stringify({ id }),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: id });
  }
  const dropped = logs.filter((l) => l.includes("wrote to output binding"));
  expect(dropped).toEqual([
    expect.stringMatching(
      /^warning: Function 'placeOrder' wrote to output binding 'queueOutput\w+' \(queue\); the devhost does not support it and dropped the value \(further values for this binding are dropped silently\)\.$/,
    ),
    expect.stringMatching(
      /^warning: Function 'placeOrder' wrote to output binding 'blobOutput\w+' \(blob\);/,
    ),
  ]);
});

describe("AzureWebJobs.<name>.Disabled", () => {
  test("a disabled HTTP function answers 404 without running; 'false' does not disable", async () => {
    // azure-functions-host FunctionInvocationMiddleware.cs: disabled -> NotFoundResult (empty 404).
    const res = await rawRequest("GET", "/api/gone");
    expect(res.status).toBe(404);
    expect(res.body.length).toBe(0);
    expect(fixture().ran).not.toContain("disabledHttp");
    expect(await (await fetch(`${host.baseUrl}/api/notReallyDisabled`)).text()).toBe("enabled");
  });

  test("a disabled timer never fires, not even runOnStartup", async () => {
    // azure-webjobs-sdk HostListenerFactory.cs: no listener is created for a disabled function.
    await host.advanceTime(3 * 60_000);
    expect(fixture().timerRuns.disabledTimer).toBe(0);
    expect(fixture().timerRuns.enabledTimer).toBeGreaterThan(0);
  });

  test("the function list leaves disabled functions out and names them after, like func start", () => {
    expect(host.functions.find((f) => f.name === "disabledTimer")?.disabled).toBe(true);
    expect(host.functions.find((f) => f.name === "enabledTimer")?.disabled).toBeUndefined();
    const text = formatFunctionList(host.functions, "http://localhost:7071", "api");
    // core-tools DisplayFunctionsInfoUtilities.cs: "Function <name> is disabled." after the list.
    expect(text).not.toContain("disabledHttp:");
    expect(text).toContain("        enabledTimer: timerTrigger\n");
    expect(text.trimEnd().split("\n").slice(-5)).toEqual([
      "Function disabledActivity is disabled.",
      "Function disabledEntity is disabled.",
      "Function disabledHttp is disabled.",
      "Function disabledOrchestrator is disabled.",
      "Function disabledTimer is disabled.",
    ]);
  });

  async function runToEnd(name: string): Promise<{ runtimeStatus: string; output: unknown }> {
    const res = await fetch(`${host.baseUrl}/api/orchestrators/${name}`, { method: "POST" });
    expect(res.status).toBe(202);
    const { statusQueryGetUri } = (await res.json()) as { statusQueryGetUri: string };
    await host.waitForIdle();
    return (await (await fetch(statusQueryGetUri)).json()) as { runtimeStatus: string; output: unknown };
  }

  test("a disabled orchestrator is accepted, then fails with the extension's message", async () => {
    // The binding provider registers the name at indexing (OrchestrationTriggerAttributeBindingProvider.cs
    // TryCreateAsync) so startNew passes ThrowIfFunctionDoesNotExist, but with no listener the out-of-proc
    // middleware fails the instance (OutOfProcMiddleware.cs, GetInvalidOrchestratorFunctionMessage).
    const status = await runToEnd("disabledOrchestrator");
    expect(status.runtimeStatus).toBe("Failed");
    expect(String(status.output)).toContain(
      "The function 'disabledOrchestrator' doesn't exist, is disabled, or is not an orchestrator function.",
    );
    expect(fixture().ran).not.toContain("disabledOrchestrator");
  });

  test("a disabled activity or entity does not run; callers get the extension's message", async () => {
    const activity = await runToEnd("callsDisabledActivity");
    expect(activity.runtimeStatus).toBe("Completed");
    expect(JSON.stringify(activity.output)).toContain(
      "The function 'disabledActivity' doesn't exist, is disabled, or is not an activity function.",
    );
    const entity = await runToEnd("callsDisabledEntity");
    expect(entity.runtimeStatus).toBe("Completed");
    // The SDK lowercases entity names, so the message names 'disabledentity'.
    expect(JSON.stringify(entity.output)).toContain(
      "The function 'disabledentity' doesn't exist, is disabled, or is not an entity function.",
    );
    expect(fixture().ran).toEqual([]);
  });
});

test("an activity's context.triggerMetadata holds its binding data", async () => {
  const res = await fetch(`${host.baseUrl}/api/orchestrators/callsReadsMetadata`, { method: "POST" });
  const { statusQueryGetUri } = (await res.json()) as { statusQueryGetUri: string };
  await host.waitForIdle();
  const status = (await (await fetch(statusQueryGetUri)).json()) as { output: { triggerMetadata: unknown } };
  // ActivityTriggerAttributeBindingProvider.cs: the input under the trigger's name and as `data` (the library
  // camel-cases the keys: nodejs-library src/converters/fromRpcTriggerMetadata.ts).
  expect(status.output.triggerMetadata).toMatchObject({ data: { n: 1 } });
});
