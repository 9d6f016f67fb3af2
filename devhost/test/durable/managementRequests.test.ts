/**
 * The management API's request edge: path decoding, route matching, body parsing and the status codes of
 * what it refuses (HttpApiHandler.HandleRequestAsync in azure-functions-durable-extension), and that a
 * refused request changes nothing.
 */
import type { ManagementResponse } from "../../src/contracts";
import { createHarness, ORIGIN, TestInvoker, type Harness } from "./harness";

let h: Harness;
beforeEach(() => {
  h = createHarness(
    new TestInvoker()
      .orchestration("Wait", function* (ctx) {
        yield ctx.df.waitForExternalEvent("go");
      })
      .entity("counter", (ctx) => {
        ctx.df.setState(((ctx.df.getState() as number | undefined) ?? 0) + 1);
      }),
  );
});
afterEach(() => h.dispose());

/** A request with a raw (not re-serialized) body and a raw path below the mount. */
function send(method: string, pathAndQuery: string, body = ""): Promise<ManagementResponse> {
  const [path, query = ""] = pathAndQuery.split("?");
  return h.engine.handleManagement({
    method,
    path,
    query: new URLSearchParams(query),
    headers: { "content-type": "application/json" },
    body,
    origin: ORIGIN,
  });
}

async function instanceIds(): Promise<string[]> {
  const res = await send("GET", "instances");
  return (res.body as { instanceId: string }[]).map((i) => i.instanceId);
}

const nested = (depth: number): string => "[".repeat(depth) + "]".repeat(depth);

test("a malformed or non-UTF-8 percent-encoding anywhere in the path is a 400 JSON message, and changes nothing", async () => {
  const refused = [
    ["POST", "orchestrators/Wait/%E0%A4"],
    ["POST", "orchestrators/W%zzait"],
    ["GET", "instances/%"],
    ["DELETE", "instances/%ff"],
    ["POST", "instances/x%2/terminate"],
    ["POST", "instances/x/raiseEvent/%C3%28"],
    ["POST", "entities/counter/%ED%A0%80"],
    ["GET", "entities/%/k"],
    ["GET", "%zz"],
  ];
  for (const [method, path] of refused) {
    const res = await send(method, path, "{}");
    expect([method, path, res.status, res.body]).toEqual([
      method,
      path,
      400,
      { message: "The request path is not validly percent-encoded UTF-8." },
    ]);
  }
  await h.settle();
  expect(await instanceIds()).toEqual([]);
  expect((await send("GET", "entities/counter/%ED%A0%80")).status).toBe(400);
  // Valid escapes still decode: an instance id with a space and a non-ASCII letter.
  expect((await send("POST", "orchestrators/Wait/a%20%C3%A9")).status).toBe(202);
  expect(await instanceIds()).toEqual(["a é"]);
});

test("literal segments match case-insensitively, as ASP.NET Core's route templates", async () => {
  expect((await send("POST", "ORCHESTRATORS/Wait/c1")).status).toBe(202);
  await h.settle();
  expect((await send("GET", "Instances/c1")).status).toBe(202);
  expect((await send("POST", "instances/c1/RAISEEVENT/go", "1")).status).toBe(202);
  await h.settle();
  expect((await send("GET", "instances/c1")).body).toMatchObject({ runtimeStatus: "Completed" });
  expect((await send("POST", "Entities/counter/k")).status).toBe(202);
  await h.settle();
  expect((await send("GET", "ENTITIES/counter/k")).body).toBe("1");
  expect((await send("POST", "orchestrators/Wait/c2")).status).toBe(202);
  await h.settle();
  expect((await send("POST", "instances/c2/Terminate?reason=r")).status).toBe(202);
});

test("a path or method no route takes is a 404; routes the extension has and the devhost lacks are a 501", async () => {
  const notFound = [
    ["GET", ""],
    ["GET", "orchestrators/Wait"],
    ["PUT", "orchestrators/Wait/x"],
    ["POST", "orchestrators"],
    ["POST", "orchestrators/Wait/x/y"],
    ["PUT", "instances/x"],
    ["POST", "instances/x"],
    ["POST", "instances/x/unknown"],
    ["GET", "instances/x/terminate"],
    ["POST", "instances/x/raiseEvent"],
    ["POST", "instances/x/raiseEvent/e/f"],
    ["PATCH", "entities/counter/k"],
    ["POST", "entities/counter/k/extra"],
    ["GET", "nothing/here"],
  ];
  for (const [method, path] of notFound) {
    const res = await send(method, path);
    expect([method, path, res.status]).toEqual([method, path, 404]);
    expect(res.body).toEqual({ message: `No Durable management route takes ${method} ${path}.` });
  }
  const notImplemented = [
    ["DELETE", "entities/counter/k"],
    ["POST", "makeprimary"],
    ["GET", "MakePrimary"],
  ];
  for (const [method, path] of notImplemented) {
    expect([method, path, (await send(method, path)).status]).toEqual([method, path, 501]);
  }
  // An entity id without a key or name is EntityId's ArgumentNullException, a 400 from the entity route.
  for (const path of ["entities", "entities/counter"]) {
    expect([path, (await send("POST", path)).status]).toEqual([path, 400]);
  }
  // Routes the extension has match case-insensitively too.
  expect((await send("POST", "instances/x/REWIND")).status).toBe(404);
  expect((await send("GET", "ENTITIES")).status).toBe(200);
  expect(await instanceIds()).toEqual([]);
});

test("bodies nested deeper than 64 levels are a 400 before anything is decided (Json.NET's MaxDepth)", async () => {
  expect((await send("POST", "orchestrators/Wait/d64", nested(64))).status).toBe(202);
  await h.settle();
  expect((await send("GET", "instances/d64")).body).toMatchObject({ input: JSON.parse(nested(64)) });

  const tooDeep = { message: "The request body nests deeper than 64 levels." };
  for (const depth of [65, 4_100, 100_000]) {
    for (const body of [nested(depth), `{"a":${nested(depth)}}`, "[".repeat(depth)]) {
      expect(await send("POST", `orchestrators/Wait/deep-${depth}`, body)).toMatchObject({
        status: 400,
        body: tooDeep,
      });
      expect(await send("POST", `entities/counter/deep-${depth}?op=add`, body)).toMatchObject({
        status: 400,
        body: tooDeep,
      });
      expect(await send("POST", "instances/d64/raiseEvent/go", body)).toMatchObject({
        status: 400,
        body: {
          Message: "Invalid JSON content",
          ExceptionMessage: "The reader's MaxDepth of 64 has been exceeded.",
        },
      });
    }
  }
  await h.settle();
  expect(await instanceIds()).toEqual(["d64"]);
  expect((await send("GET", "instances/d64")).body).toMatchObject({ runtimeStatus: "Running" });
  expect((await send("GET", "entities/counter/deep-65")).status).toBe(404);

  // Brackets inside strings (escaped quotes included) are not nesting.
  const text = JSON.stringify({ s: `\\"${nested(500)}` });
  expect((await send("POST", "orchestrators/Wait/strings", text)).status).toBe(202);
  expect((await send("POST", "orchestrators/Wait/bad", "{")).body).toEqual({
    message: "The request body is not valid JSON.",
  });
});

test("entity keys with /, \\, #, ? or control characters are a 400 (DurableClient.SignalEntityAsyncInternal)", async () => {
  for (const key of ["a%2Fb", "a%5Cb", "a%23b", "a%3Fb", "a%01b", "a%7Fb"]) {
    expect(await send("POST", `entities/counter/${key}?op=add`)).toEqual({
      status: 400,
      headers: { "Content-Type": "application/json" },
      body: { message: "Entity keys must not contain /, \\, #, ?, or control characters." },
    });
  }
  await h.settle();
  expect((await send("GET", "entities/counter/a%2Fb")).status).toBe(404);
  expect((await send("POST", "entities/counter/a%20b?op=add")).status).toBe(202);
});
