/** The HTTP front end's small parts: request targets, Host validation, keys, the rpc channel, key URLs. */
import {
  extensionKey,
  isAuthorizedForExtension,
  keysConfigured,
  parseHostKeys,
  presentedKey,
  withExtensionKey,
} from "../src/http/auth";
import { bodySizeLimitFrom, DEFAULT_MAX_REQUEST_BODY_SIZE } from "../src/http/requestBody";
import { parseRequestTarget, removeDotSegments, validHost } from "../src/http/requestTarget";
import { isLoopbackAddress, rpcBaseUrlFor } from "../src/http/rpcChannel";
import { bindingValue, responseWithCode, withCode } from "../src/http/webhookUrls";

test("request targets: unreserved escapes decoded, dot segments removed, everything else left encoded", () => {
  expect(parseRequestTarget("/a/%2e%2E/b%2Fc/%41%7e%25?x=/../y")).toEqual({
    path: "/b%2Fc/A~%25",
    query: "x=/../y",
  });
  expect(parseRequestTarget("/a/%zz/%e0%a4")).toEqual({ path: "/a/%zz/%e0%a4", query: "" });
  expect(parseRequestTarget("*")).toBeUndefined();
  expect(parseRequestTarget("http://h/a")).toBeUndefined();
  const cases: [string, string][] = [
    ["/a/b/c/./../../g", "/a/g"],
    ["/mid/content=5/../6", "/mid/6"],
    ["/..", "/"],
    ["/../../x", "/x"],
    ["/a/b/.", "/a/b/"],
    ["/a/b/..", "/a/"],
    ["/a//../b", "/a/b"],
    ["/a/.b/..c/...", "/a/.b/..c/..."],
    ["//x", "//x"],
  ];
  for (const [input, output] of cases) expect([input, removeDotSegments(input)]).toEqual([input, output]);
});

test("Host headers: host[:port] only", () => {
  for (const good of ["a", "a.b-c_d", "10.0.0.1:1", "[::1]", "[fe80::1]:65535", "EXAMPLE.test:080"])
    expect([good, validHost(good)]).toEqual([good, good]);
  for (const bad of [
    undefined,
    "",
    ":80",
    "a:65536",
    "a:-1",
    "a b",
    "a/b",
    "a@b",
    "[::1",
    "[x]",
    "a:b:c",
    "..",
  ])
    expect([bad, validHost(bad)]).toEqual([bad, undefined]);
});

test("loopback addresses and the rpc channel's URL", () => {
  for (const yes of ["127.0.0.1", "127.255.0.9", "::1", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"])
    expect([yes, isLoopbackAddress(yes)]).toEqual([yes, true]);
  for (const no of [
    undefined,
    "",
    "localhost",
    "0.0.0.0",
    "::",
    "128.0.0.1",
    "::ffff:10.0.0.1",
    "fe80::1",
    "::2",
  ])
    expect([no, isLoopbackAddress(no)]).toEqual([no, false]);
  expect(rpcBaseUrlFor("127.0.0.1", 7071)).toBe("http://127.0.0.1:7071/durabletask/");
  expect(rpcBaseUrlFor("::1", 7071)).toBe("http://[::1]:7071/durabletask/");
  expect(rpcBaseUrlFor("0.0.0.0", 1)).toBe("http://127.0.0.1:1/durabletask/");
  expect(rpcBaseUrlFor("::", 1)).toBe("http://127.0.0.1:1/durabletask/");
  expect(rpcBaseUrlFor("192.0.2.2", 1)).toBeUndefined();
});

test("keys: system keys parsed, a made-up extension key when none is given, the key a request presents", () => {
  const keys = parseHostKeys('{"master":"m","host":"h","system":{"DurableTask_Extension":"s"}}');
  expect(keys).toEqual({ master: "m", host: ["h"], functions: {}, system: { durabletask_extension: ["s"] } });
  expect(keysConfigured(parseHostKeys('{"system":{"x":[]}}'))).toBe(false);
  expect(keysConfigured(parseHostKeys('{"system":{"x":"y"}}'))).toBe(true);
  expect(withExtensionKey(keys, "durabletask")).toBe(keys);
  const made = withExtensionKey({ master: "m" }, "durabletask");
  expect(extensionKey(made, "durabletask")).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(extensionKey(withExtensionKey({ master: "m" }, "durabletask"), "durabletask")).not.toBe(
    extensionKey(made, "durabletask"),
  );

  const q = (s: string) => new URLSearchParams(s);
  expect(presentedKey(undefined, q("code=a&code=b"))).toBe("a");
  expect(presentedKey(undefined, q("Code=a"))).toBe("a");
  expect(presentedKey(undefined, q("code="))).toBeUndefined();
  expect(presentedKey(["h", "i"], q("code=a"))).toBe("h");
  expect(presentedKey([""], q("code=a"))).toBeUndefined();
  expect(presentedKey([], q("code=a"))).toBe("a");

  expect(isAuthorizedForExtension(undefined, "durabletask", undefined)).toBe(true);
  expect(isAuthorizedForExtension(keys, "durabletask", "s")).toBe(true);
  expect(isAuthorizedForExtension(keys, "durabletask", "m")).toBe(true);
  expect(isAuthorizedForExtension(keys, "durabletask", "h")).toBe(false);
  expect(isAuthorizedForExtension(keys, "other", "s")).toBe(false);
  expect(isAuthorizedForExtension(keys, "durabletask", undefined)).toBe(false);
});

test("the body size limit: FUNCTIONS_REQUEST_BODY_SIZE_LIMIT when it is a number, else 100 MB", () => {
  expect(DEFAULT_MAX_REQUEST_BODY_SIZE).toBe(104_857_600);
  expect(bodySizeLimitFrom({})).toBe(DEFAULT_MAX_REQUEST_BODY_SIZE);
  expect(bodySizeLimitFrom({ FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: "2048" })).toBe(2048);
  expect(bodySizeLimitFrom({ FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: "2kb" })).toBe(DEFAULT_MAX_REQUEST_BODY_SIZE);
});

test("code= on the binding's and the answers' public URLs", () => {
  expect(withCode("http://h/p", "a b")).toBe("http://h/p?code=a%20b");
  expect(withCode("http://h/p?x=1", "k")).toBe("http://h/p?x=1&code=k");
  const engineValue = {
    taskHubName: "hub",
    creationUrls: { createNewInstancePostUri: "http://h/w/orchestrators/{functionName}?taskHub=hub" },
    managementUrls: { id: "INSTANCEID", statusQueryGetUri: "http://h/w/instances/INSTANCEID?taskHub=hub" },
    baseUrl: "http://h/w",
    requiredQueryStringParameters: "taskHub=hub",
    rpcBaseUrl: "http://h/w/",
  };
  expect(bindingValue(engineValue, { code: "k", rpcBaseUrl: "http://127.0.0.1:1/durabletask/" })).toEqual({
    taskHubName: "hub",
    creationUrls: { createNewInstancePostUri: "http://h/w/orchestrators/{functionName}?taskHub=hub&code=k" },
    managementUrls: {
      id: "INSTANCEID",
      statusQueryGetUri: "http://h/w/instances/INSTANCEID?taskHub=hub&code=k",
    },
    baseUrl: "http://h/w",
    requiredQueryStringParameters: "taskHub=hub&code=k",
    rpcBaseUrl: "http://127.0.0.1:1/durabletask/",
  });
  expect(bindingValue(engineValue, {})).toEqual({ ...engineValue, rpcBaseUrl: undefined });
  expect("rpcBaseUrl" in bindingValue(engineValue, {})).toBe(false);

  const answer = responseWithCode(
    {
      status: 202,
      headers: { Location: "http://h/w/instances/i?t=1", "Retry-After": "10" },
      body: {
        id: "i",
        statusQueryGetUri: "http://h/w/instances/i?t=1",
        other: "http://h/w/x?y",
        elsewhere: "http://e/x?z",
      },
    },
    "http://h/w",
    "k",
  );
  expect(answer).toEqual({
    status: 202,
    headers: { Location: "http://h/w/instances/i?t=1&code=k", "Retry-After": "10" },
    body: {
      id: "i",
      statusQueryGetUri: "http://h/w/instances/i?t=1&code=k",
      other: "http://h/w/x?y",
      elsewhere: "http://e/x?z",
    },
  });
  const status = { status: 200, body: { input: "http://h/w/instances/i?t=1" } };
  expect(responseWithCode(status, "http://h/w", "k")).toEqual(status);
});
