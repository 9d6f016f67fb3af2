/**
 * Hostile HTTP requests against this app on the devhost, as fast-check arbitraries: every route of the app
 * (`/api/...`) and of the Durable management API (public and rpc mounts), with hostile names, encodings,
 * path spellings, methods, query strings, headers, keys, nesting depths and body sizes.
 *
 * Every name a request uses starts with a placeholder that the runner replaces by the request's own token
 * (`fz{index}x`), so whatever a request creates can be traced back to it.
 */
import fc from "fast-check";

export const TOKEN = "\u0001";

export interface Keys {
  master: string;
  host: string;
  system: string;
}

export interface HostileRequest {
  method: string;
  /** The raw request target (path and query), sent as it is. */
  target: string;
  /** Header name/value pairs; `host` may be missing or malformed. */
  headers: [string, string][];
  body?: Buffer;
  /** Send the body with Transfer-Encoding: chunked (in two pieces) instead of Content-Length. */
  chunked: boolean;
  /** A Content-Length far beyond the body actually sent (a size bomb the host must refuse before reading). */
  declaredLength?: number;
  /**
   * The entity this request addresses, for the state check: its name (or the path segment holding it) and the
   * path segment holding its key (raw, before the token is filled in). Set only for plainly spelled paths.
   */
  entity?: EntityRef;
}

export interface EntityRef {
  name: string | { segment: number };
  keySegment: number;
  segments: string[];
}

/** Characters a raw request target may carry (Node's client refuses others): printable ASCII. */
const hostileFragment = fc.oneof(
  fc.constantFrom(
    "%41",
    "%",
    "%z",
    "%zz",
    "%E0%A4",
    "%C3%28",
    "%ED%A0%80",
    "%FF",
    "%00",
    "%0A",
    "%2F",
    "%2f..",
    "%5C",
    "%23",
    "%3F",
    "%2e",
    "%2e%2e",
    "%20",
    "%C3%A9",
    "+",
    "~",
    "'",
    '"',
    "<x>",
    ":",
    "@",
    ";",
    "$",
    "&",
    "=",
    "*",
    "(",
    "{",
    "}",
    "|",
    "\\",
    "^",
    "`",
    "[",
    "]",
  ),
  fc.string({ unit: fc.constantFrom(..."abcXYZ019._-~!$&'()*+,;=:@%"), minLength: 1, maxLength: 12 }),
  fc.integer({ min: 65, max: 5000 }).map((n) => "a".repeat(n)),
);

const safeSuffix = fc.stringMatching(/^[A-Za-z0-9._-]{0,12}$/);

/** A name that carries the request's token: mostly valid, often hostile. */
const name = fc.oneof(
  { weight: 6, arbitrary: safeSuffix.map((s) => `${TOKEN}${s}`) },
  { weight: 3, arbitrary: fc.tuple(safeSuffix, hostileFragment).map(([s, h]) => `${TOKEN}${s}${h}`) },
  { weight: 1, arbitrary: fc.constantFrom("", ".", "..", "%2e%2e", "%2E") },
);

const orchestratorName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("reportJob", "monitorJob", "singletonRequest", "REPORTJOB") },
  { weight: 1, arbitrary: name },
);

const keyChoice = (keys: Keys, valid: string): fc.Arbitrary<string[]> =>
  fc.oneof(
    { weight: 14, arbitrary: fc.constant<string[]>([valid]) },
    { weight: 1, arbitrary: fc.constant<string[]>([]) },
    { weight: 1, arbitrary: fc.constant<string[]>([keys.host]) },
    { weight: 1, arbitrary: fc.constant<string[]>([keys.master]) },
    { weight: 1, arbitrary: fc.constant<string[]>([keys.system]) },
    { weight: 1, arbitrary: fc.constant<string[]>(["wrong", valid]) },
    { weight: 1, arbitrary: fc.constant<string[]>([""]) },
    { weight: 1, arbitrary: fc.constant<string[]>([valid.toUpperCase()]) },
  );

/** A JSON text nested `depth` levels deep, in one of a few shapes. */
const deepJson = fc
  .tuple(fc.constantFrom(33, 64, 65, 300, 4_100, 20_000), fc.constantFrom("array", "object", "unclosed"))
  .map(([depth, shape]) =>
    shape === "array"
      ? "[".repeat(depth) + "]".repeat(depth)
      : shape === "object"
        ? '{"a":'.repeat(depth) + "1" + "}".repeat(depth)
        : "[".repeat(depth),
  );

const jsonValue = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? "null");

/** A start body with every field valid (so the request reaches the coordinator), in JSON text. */
const validStartBody = fc
  .record(
    {
      orchestrator: fc.constantFrom("reportJob", "monitorJob"),
      policy: fc.constantFrom("reject", "queue", "replace", "useExisting"),
      input: fc.constantFrom("{}", '{"waitForEvent":"go"}', '{"failAt":"publish"}', '{"items":3}'),
      idempotencyKey: safeSuffix.map((s) => `${TOKEN}${s}`),
    },
    { requiredKeys: ["orchestrator"] },
  )
  .map((b) => JSON.stringify({ ...b, input: b.input === undefined ? undefined : JSON.parse(b.input) }));

/** A start body with hostile fields: unknown orchestrators and policies, odd inputs, stray fields. */
const hostileStartBody = fc
  .record(
    {
      orchestrator: orchestratorName,
      policy: fc.constantFrom("reject", "queue", "replace", "useExisting", "REJECT", "", "nope"),
      input: fc.oneof(
        fc.constant("{}"),
        fc.constant('{"waitForEvent":"go"}'),
        fc.constant('{"items":1000000}'),
        jsonValue,
        deepJson,
      ),
      idempotencyKey: fc.oneof(
        safeSuffix.map((s) => `${TOKEN}${s}`),
        hostileFragment,
      ),
      extra: fc.constantFrom("stray", "__proto__", "constructor"),
    },
    { requiredKeys: ["orchestrator"] },
  )
  .map((b) => {
    const fields: string[] = [`"orchestrator":${JSON.stringify(b.orchestrator)}`];
    if (b.policy !== undefined) fields.push(`"policy":${JSON.stringify(b.policy)}`);
    if (b.input !== undefined) fields.push(`"input":${b.input}`);
    if (b.idempotencyKey !== undefined) fields.push(`"idempotencyKey":${JSON.stringify(b.idempotencyKey)}`);
    if (b.extra !== undefined) fields.push(`${JSON.stringify(b.extra)}:1`);
    return `{${fields.join(",")}}`;
  });

const startBody = fc.oneof(
  { weight: 3, arbitrary: validStartBody },
  { weight: 2, arbitrary: hostileStartBody },
);

const body = (shaped: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 8, arbitrary: shaped.map((s) => Buffer.from(s)) },
    { weight: 2, arbitrary: jsonValue.map((s) => Buffer.from(s)) },
    { weight: 2, arbitrary: deepJson.map((s) => Buffer.from(s)) },
    {
      weight: 1,
      arbitrary: fc.constantFrom("{", "[1,", "nul", '{"a":1}}', "\u0000", "\uFEFF{}").map(Buffer.from),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(65 * 1024, 200 * 1024, 1_100_000)
        .map((n) => Buffer.from(`{"orchestrator":"reportJob","input":"${"x".repeat(n)}"}`)),
    },
  );

interface Shape {
  method: string;
  segments: string[];
  /** Query parameters the route reads. */
  query?: string[];
  body: fc.Arbitrary<Buffer | undefined>;
  /** A body the route accepts, for the well-formed share of requests (default: `body`). */
  cleanBody?: fc.Arbitrary<Buffer | undefined>;
  /** The key that opens it: "host", "master", "system" or none. */
  key: keyof Keys | undefined;
  entity?: { name: string | { segment: number }; keySegment: number };
}

const startRoute = fc.tuple(name).map(([job]): Shape => ({
  method: "POST",
  segments: ["api", "jobs", job, "start"],
  body: body(startBody),
  cleanBody: validStartBody.map((text) => Buffer.from(text)),
  key: "host",
  entity: { name: "jobCoordinator", keySegment: 2 },
}));

/** The app's routes; starts weigh most, as they change the most state. */
const appRoute: fc.Arbitrary<Shape> = fc.oneof(
  { weight: 6, arbitrary: startRoute },
  {
    weight: 1,
    arbitrary: fc.tuple(name).map(([job]): Shape => ({
      method: "GET",
      segments: ["api", "jobs", job],
      body: fc.constant(undefined),
      key: "host",
      entity: { name: "jobCoordinator", keySegment: 2 },
    })),
  },
  {
    weight: 1,
    arbitrary: fc.constant<Shape>({
      method: "GET",
      segments: ["api", "jobs"],
      body: fc.constant(undefined),
      key: "host",
    }),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(name).map(([job]): Shape => ({
      method: "POST",
      segments: ["api", "jobs", job, "release"],
      body: body(fc.oneof(fc.constant('{"reason":"fuzz"}'), fc.constant(`{"reason":"${"r".repeat(300)}"}`))),
      key: "master",
      entity: { name: "jobCoordinator", keySegment: 2 },
    })),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(name, fc.constantFrom("pause", "resume", "PAUSE")).map(([job, op]): Shape => ({
      method: "POST",
      segments: ["api", "jobs", job, op],
      body: body(
        fc.constantFrom(
          '{"reason":"fuzz","by":"ops"}',
          '{"by":""}',
          '{"reason":"line\\nbreak"}',
          `{"reason":"${"r".repeat(300)}"}`,
          '{"stray":1}',
        ),
      ),
      key: "master",
      entity: { name: "jobCoordinator", keySegment: 2 },
    })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom("dashboard", "orchestrators", "DASHBOARD").map((page): Shape => ({
      method: "GET",
      segments: ["api", page],
      body: fc.constant(undefined),
      key: page.toLowerCase() === "dashboard" ? undefined : "host",
    })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom("summary", "history", "", "%zz", "summary&view=full").map((view): Shape => ({
      method: "GET",
      segments: ["api", "jobs"],
      query: [`view=${view}`],
      body: fc.constant(undefined),
      key: "host",
    })),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(name, name).map(([job, requestId]): Shape => ({
      method: "GET",
      segments: ["api", "jobs", job, "requests", requestId],
      body: fc.constant(undefined),
      key: "host",
      entity: { name: "jobCoordinator", keySegment: 2 },
    })),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(orchestratorName, name).map(([fn, id]): Shape => ({
      method: "POST",
      segments: ["api", "orchestrators", fn, id],
      body: body(jsonValue),
      key: "host",
    })),
  },
);

const mount = fc.constantFrom(["runtime", "webhooks", "durabletask"], ["durabletask"]);

const managementRoute: fc.Arbitrary<Shape> = fc
  .tuple(
    mount,
    fc.oneof(
      fc.tuple(orchestratorName, fc.option(name, { nil: undefined })).map(([fn, id]) => ({
        method: "POST",
        rest: ["orchestrators", fn, ...(id === undefined ? [] : [id])],
      })),
      fc.constantFrom("GET", "DELETE").map((method) => ({ method, rest: ["instances"] })),
      fc
        .tuple(fc.constantFrom("GET", "DELETE"), name)
        .map(([method, id]) => ({ method, rest: ["instances", id] })),
      fc
        .tuple(
          name,
          fc.constantFrom("terminate", "suspend", "resume", "rewind", "restart", "Terminate", "nope"),
        )
        .map(([id, op]) => ({ method: "POST", rest: ["instances", id, op] })),
      fc
        .tuple(name, name)
        .map(([id, event]) => ({ method: "POST", rest: ["instances", id, "raiseEvent", event] })),
      fc
        .tuple(
          fc.constantFrom("POST", "GET", "DELETE"),
          fc.oneof(fc.constantFrom("jobCoordinator", "jobRegistry", "JOBCOORDINATOR"), name),
          name,
        )
        .map(([method, entity, key]) => ({ method, rest: ["entities", entity, key], entity })),
    ),
  )
  .map(([m, r]): Shape => {
    const segments = [...m, ...r.rest];
    const entity =
      "entity" in r ? { name: { segment: segments.length - 2 }, keySegment: segments.length - 1 } : undefined;
    return {
      method: r.method,
      segments,
      body: body(jsonValue),
      key: m.length === 3 ? "system" : undefined,
      entity,
    };
  });

const otherRoute: fc.Arbitrary<Shape> = fc.oneof(
  fc.constant<Shape>({
    method: "GET",
    segments: ["admin", "host", "status"],
    body: fc.constant(undefined),
    key: undefined,
  }),
  fc.webPath().map((p): Shape => ({
    method: "GET",
    segments: p.split("/").filter((s) => s !== ""),
    body: body(jsonValue),
    key: undefined,
  })),
);

/** Spellings of a path that must route (and be checked) the same way, or not at all. */
function spell(segments: string[], how: string): string {
  const path = `/${segments.join("/")}`;
  switch (how) {
    case "upper":
      return `/${segments.map((s, i) => (i < 2 ? s.toUpperCase() : s)).join("/")}`;
    case "double-slash":
      return path.replace("/", "//");
    case "inner-double-slash":
      return `/${segments.join("//")}`;
    case "dot":
      return `/${segments.slice(0, 1).join("/")}/./${segments.slice(1).join("/")}`;
    case "dot-dot":
      return `/x/../${segments.join("/")}`;
    case "encoded-dot-dot":
      return `/x/%2e%2e/${segments.join("/")}`;
    case "encoded-letter":
      return path.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`);
    case "trailing-slash":
      return `${path}/`;
    default:
      return path;
  }
}

const spelling = fc.oneof(
  { weight: 12, arbitrary: fc.constant("plain") },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "upper",
      "double-slash",
      "inner-double-slash",
      "dot",
      "dot-dot",
      "encoded-dot-dot",
      "encoded-letter",
      "trailing-slash",
    ),
  },
);

const queryExtras = fc.array(
  fc.oneof(
    fc.constantFrom(
      "showInput=false",
      "showHistory=true",
      "showHistoryOutput=true",
      "showInput=maybe",
      "top=-1",
      "top=0",
      "top=1e9",
      "top=abc",
      "top=5",
      "runtimeStatus=Running,Completed",
      "runtimeStatus=Nope",
      "runtimeStatus=",
      "createdTimeFrom=2020-01-01T00:00:00Z",
      "createdTimeFrom=yesterday",
      "createdTimeTo=%",
      `instanceIdPrefix=${TOKEN}`,
      "returnInternalServerErrorOnFailure=true",
      "reason=%zz",
      "reason=a+b",
      "op=tryStart",
      "op=release",
      "op=",
      "op=%E0%A4",
      "timeout=-5",
      "pollingInterval=abc",
      "%=%",
      "==",
      "&&",
    ),
    fc.tuple(hostileFragment, hostileFragment).map(([k, v]) => `${k}=${v}`),
  ),
  { maxLength: 4 },
);

const hostHeader = fc.oneof(
  { weight: 10, arbitrary: fc.constant("listening") },
  { weight: 1, arbitrary: fc.constant("missing") },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "evil.test",
      "evil.test:1",
      "bad host",
      "a/b",
      "a@b",
      "x:99999",
      "[::1",
      "<script>",
      "",
      "h".repeat(300),
    ),
  },
);

const extraHeaders = fc.array(
  fc.oneof(
    fc.constantFrom<[string, string]>(
      ["content-type", "application/json"],
      ["content-type", "text/plain"],
      ["content-type", "application/json; charset=utf-16"],
      ["content-type", "garbage/"],
      ["idempotency-key", "%zz"],
      ["x-ms-continuation-token", "!!notbase64!!"],
      ["x-ms-continuation-token", "LTE="],
      ["accept", "*/*"],
      ["x-forwarded-for", "203.0.113.9"],
      ["x-forwarded-host", "evil.test"],
    ),
    fc
      .tuple(safeSuffix, fc.integer({ min: 0, max: 12_000 }))
      .map(([n, len]): [string, string] => [`x-f${n}`, "v".repeat(len)]),
    safeSuffix.map((s): [string, string] => ["idempotency-key", `${TOKEN}${s}`]),
  ),
  { maxLength: 3 },
);

const methodOverride = fc.oneof(
  { weight: 9, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS") },
);

/** One hostile request (before its token is filled in). */
export function hostileRequest(keys: Keys): fc.Arbitrary<HostileRequest> {
  return fc
    .oneof(
      { weight: 5, arbitrary: appRoute },
      { weight: 4, arbitrary: managementRoute },
      { weight: 1, arbitrary: otherRoute },
    )
    .chain((shape) => {
      const valid = shape.key ? keys[shape.key] : "none";
      // One request in four is well-formed around its (possibly hostile) names, so that the routes' deeper
      // paths (decisions, runs, signals) run too and can be refused on real state.
      const clean = fc.record({
        shape: fc.constant(shape),
        spelling: fc.constant("plain"),
        query: fc.constant<string[]>([]),
        key: fc.constant<string[]>(shape.key ? [valid] : []),
        keyIn: fc.constantFrom("query", "header"),
        host: fc.constant("listening"),
        headers: fc.constant<[string, string][]>([["content-type", "application/json"]]),
        method: fc.constant(undefined),
        body: shape.cleanBody ?? shape.body,
        chunked: fc.boolean(),
      });
      const hostile = fc.record({
        shape: fc.constant(shape),
        spelling,
        query: queryExtras,
        key: keyChoice(keys, valid),
        keyIn: fc.constantFrom("query", "query", "header", "both"),
        host: hostHeader,
        headers: extraHeaders,
        method: methodOverride,
        body: shape.body,
        chunked: fc.boolean(),
      });
      return fc.oneof({ weight: 1, arbitrary: clean }, { weight: 3, arbitrary: hostile });
    })
    .chain((r) =>
      fc.record({
        r: fc.constant(r),
        bomb: fc.oneof(
          { weight: 49, arbitrary: fc.constant(false) },
          { weight: 1, arbitrary: fc.constant(true) },
        ),
      }),
    )
    .map(({ r, bomb }) =>
      bomb
        ? { ...r, body: Buffer.from("{}"), chunked: false, declaredLength: 200 * 1024 * 1024 }
        : { ...r, declaredLength: undefined },
    )
    .map((r) => {
      const query = [...(r.shape.query ?? []), ...r.query];
      const headers: [string, string][] = [...r.headers];
      for (const key of r.key) {
        if (r.keyIn !== "header") query.push(`code=${key}`);
        if (r.keyIn !== "query") headers.push(["x-functions-key", key]);
      }
      if (r.host !== "missing") headers.push(["host", r.host]);
      const target = spell(r.shape.segments, r.spelling) + (query.length ? `?${query.join("&")}` : "");
      return {
        method: r.method ?? r.shape.method,
        target,
        headers,
        body: r.body,
        chunked: r.chunked,
        declaredLength: r.declaredLength,
        entity:
          r.spelling === "plain" && r.shape.entity
            ? { ...r.shape.entity, segments: r.shape.segments }
            : undefined,
      };
    });
}
