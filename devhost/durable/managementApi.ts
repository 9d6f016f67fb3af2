/**
 * The Durable Functions HTTP management API (the public webhook API and the SDK's rpcBaseUrl calls), with
 * the status codes DurableClient expects.
 */
import { randomUUID } from "node:crypto";
import type { ManagementRequest, ManagementResponse } from "../contracts";
import { entitySchedulerId, type EntityRunner } from "./entityRunner";
import { EventType, historyEvent, historyForStatus, isoTime } from "./history";
import type { ControlKind, OrchestrationRunner } from "./orchestrationRunner";
import {
  TERMINAL_STATUSES,
  type DurableStore,
  type InstanceQuery,
  type InstanceRecord,
  type RuntimeStatus,
} from "./store";

export interface ManagementDeps {
  store: DurableStore;
  orchestrations: OrchestrationRunner;
  entities: EntityRunner;
  now(): number;
  hubName: string;
  webhookPath: string;
  overridableExistingInstanceStates: "AnyState" | "NonRunningStates";
}

const RUNTIME_STATUSES: readonly RuntimeStatus[] = [
  "Pending",
  "Running",
  "Completed",
  "Failed",
  "Terminated",
  "Suspended",
  "ContinuedAsNew",
];

const INSTANCE_ID_PLACEHOLDER = "INSTANCEID";

/** Page size of instance queries without `top` (OrchestrationStatusQueryCondition.PageSize's default). */
const DEFAULT_PAGE_SIZE = 100;

/** The durableClient binding value, as the Functions host builds it for a request arriving on `origin`. */
export function buildClientInput(
  origin: string,
  hubName: string,
  webhookPath: string,
): Record<string, unknown> {
  const base = `${origin}${webhookPath}`;
  const common = `taskHub=${encodeURIComponent(hubName)}&connection=Storage`;
  const instance = `${base}/instances/${INSTANCE_ID_PLACEHOLDER}`;
  return {
    taskHubName: hubName,
    creationUrls: {
      createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?${common}`,
      createAndWaitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${common}`,
    },
    managementUrls: managementUrls(instance, common, INSTANCE_ID_PLACEHOLDER),
    baseUrl: base,
    requiredQueryStringParameters: common,
    rpcBaseUrl: `${base}/`,
    httpBaseUrl: base,
  };
}

function managementUrls(instance: string, common: string, id: string): Record<string, string> {
  return {
    id,
    statusQueryGetUri: `${instance}?${common}`,
    sendEventPostUri: `${instance}/raiseEvent/{eventName}?${common}`,
    terminatePostUri: `${instance}/terminate?reason={text}&${common}`,
    rewindPostUri: `${instance}/rewind?reason={text}&${common}`,
    purgeHistoryDeleteUri: `${instance}?${common}`,
    restartPostUri: `${instance}/restart?${common}`,
    suspendPostUri: `${instance}/suspend?reason={text}&${common}`,
    resumePostUri: `${instance}/resume?reason={text}&${common}`,
  };
}

function json(status: number, body: unknown, headers?: Record<string, string>): ManagementResponse {
  return { status, headers: { "Content-Type": "application/json", ...headers }, body };
}

function message(status: number, text: string): ManagementResponse {
  return json(status, { message: text });
}

/**
 * How deeply a body may nest: the extension parses bodies with Json.NET, whose readers refuse JSON nested
 * deeper than MaxDepth (64 by default since Json.NET 13.0.1), and HttpApiHandler answers that 400. Deeper
 * values would also overflow JSON.stringify's recursion further on, after the request had been accepted.
 */
const MAX_BODY_DEPTH = 64;

type Parsed = { ok: true; value: unknown } | { ok: false; problem: string };

function parseBody(body: string): Parsed {
  if (body.trim() === "") return { ok: true, value: undefined };
  if (nestsDeeperThan(body, MAX_BODY_DEPTH)) {
    return { ok: false, problem: `The request body nests deeper than ${MAX_BODY_DEPTH} levels.` };
  }
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch {
    return { ok: false, problem: "The request body is not valid JSON." };
  }
}

/** Whether JSON text opens more than `max` arrays/objects at once (a scan, before anything is parsed). */
function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** The path's segments, percent-decoded; undefined when an escape is malformed or not UTF-8. */
function decodeSegments(path: string): string[] | undefined {
  try {
    return path
      .split("?")[0]
      .split("/")
      .filter((s) => s !== "")
      .map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

/** Entity keys the extension refuses (DurableClient.SignalEntityAsyncInternal: /, \, #, ? or controls). */
function invalidEntityKey(key: string): boolean {
  return /[/\\#?]/.test(key) || hasControlCharacter(key);
}

function flag(query: URLSearchParams, name: string, dflt: boolean): boolean {
  const v = query.get(name);
  return v === null ? dflt : v.toLowerCase() === "true";
}

export class ManagementApi {
  constructor(private readonly deps: ManagementDeps) {}

  /**
   * Routes as HttpApiHandler.HandleRequestAsync does: literal segments match case-insensitively, and a path or
   * method no route takes is a 404. Routes the extension has but the devhost lacks are a 501.
   */
  async handle(req: ManagementRequest): Promise<ManagementResponse> {
    const segments = decodeSegments(req.path);
    if (!segments) return message(400, "The request path is not validly percent-encoded UTF-8.");
    const method = req.method.toUpperCase();
    const [a, b, c] = segments.slice(1);
    const root = segments[0]?.toLowerCase();
    const op = b?.toLowerCase();
    const n = segments.length;

    if (root === "orchestrators" && method === "POST" && (n === 2 || n === 3)) return this.start(req, a, b);
    if (root === "instances") {
      if (n === 1 && method === "GET") return this.query(req);
      if (n === 1 && method === "DELETE") return this.purgeBy(req);
      if (n === 2 && method === "GET") return this.status(req, a);
      if (n === 2 && method === "DELETE") return this.purge(a);
      if (n === 4 && method === "POST" && op === "raiseevent") return this.raiseEvent(req, a, c);
      if (n === 3 && method === "POST" && (op === "terminate" || op === "suspend" || op === "resume")) {
        return this.control(op, a, req.query.get("reason") ?? "");
      }
    }
    if (root === "entities" && n === 3) {
      if (method === "POST") return this.signalEntity(req, a, b);
      if (method === "GET") return this.readEntity(a, b);
    }
    if (extensionOnlyRoute(method, root, n, op)) {
      return message(501, `The devhost Durable engine does not implement ${method} ${req.path}.`);
    }
    return message(404, `No Durable management route takes ${method} ${req.path}.`);
  }

  /** The check-status payload (also what createCheckStatusResponse / createHttpManagementPayload return). */
  checkStatusPayload(origin: string, instanceId: string): Record<string, string> {
    const common = `taskHub=${encodeURIComponent(this.deps.hubName)}&connection=Storage`;
    const instance = `${origin}${this.deps.webhookPath}/instances/${encodeURIComponent(instanceId)}`;
    return managementUrls(instance, common, instanceId);
  }

  private start(req: ManagementRequest, name: string, requestedId: string | undefined): ManagementResponse {
    const { orchestrations, store } = this.deps;
    if (!orchestrations.hasFunction(name)) {
      return message(
        400,
        `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`,
      );
    }
    const input = parseBody(req.body);
    if (!input.ok) return message(400, input.problem);
    const instanceId = requestedId ?? randomUUID().replace(/-/g, "");
    if (/[/\\#?]/.test(instanceId) || hasControlCharacter(instanceId)) {
      return message(400, `The instance ID '${instanceId}' contains invalid characters.`);
    }
    const existing = store.getInstance(instanceId);
    if (
      existing &&
      this.deps.overridableExistingInstanceStates === "NonRunningStates" &&
      !TERMINAL_STATUSES.has(existing.runtimeStatus)
    ) {
      return message(
        409,
        `An Orchestration instance with the instance ID '${instanceId}' already exists and is ${existing.runtimeStatus}.`,
      );
    }
    orchestrations.create(name, instanceId, input.value);
    const payload = this.checkStatusPayload(req.origin, instanceId);
    return json(202, payload, { Location: payload.statusQueryGetUri, "Retry-After": "10" });
  }

  private statusPayload(record: InstanceRecord, query: URLSearchParams): Record<string, unknown> {
    const payload: Record<string, unknown> = {
      name: record.name,
      instanceId: record.instanceId,
      runtimeStatus: record.runtimeStatus,
      input: flag(query, "showInput", true) ? (record.input ?? null) : null,
      customStatus: record.customStatus ?? null,
      output: record.output ?? null,
      createdTime: isoTime(record.createdTime),
      lastUpdatedTime: isoTime(record.lastUpdatedTime),
    };
    if (flag(query, "showHistory", false)) {
      payload.historyEvents = historyForStatus(record.history, flag(query, "showHistoryOutput", false));
    }
    return payload;
  }

  private status(req: ManagementRequest, instanceId: string): ManagementResponse {
    const record = this.deps.store.getInstance(instanceId);
    if (!record) return message(404, `No instance with ID '${instanceId}' found.`);
    let status = TERMINAL_STATUSES.has(record.runtimeStatus) ? 200 : 202;
    if (record.runtimeStatus === "Failed" && flag(req.query, "returnInternalServerErrorOnFailure", false))
      status = 500;
    const headers: Record<string, string> = {};
    if (status === 202) {
      headers.Location = this.checkStatusPayload(req.origin, instanceId).statusQueryGetUri;
      headers["Retry-After"] = "10";
    }
    return json(status, this.statusPayload(record, req.query), headers);
  }

  private instanceQuery(query: URLSearchParams): InstanceQuery | string {
    const q: InstanceQuery = {};
    const statuses = query.get("runtimeStatus");
    if (statuses) {
      const list = statuses
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "");
      const bad = list.find((s) => !RUNTIME_STATUSES.includes(s as RuntimeStatus));
      if (bad) return `Unknown runtimeStatus '${bad}'.`;
      q.runtimeStatus = list as RuntimeStatus[];
    }
    for (const [key, field] of [
      ["createdTimeFrom", "createdTimeFrom"],
      ["createdTimeTo", "createdTimeTo"],
    ] as const) {
      const v = query.get(key);
      if (v) {
        const t = Date.parse(v);
        if (Number.isNaN(t)) return `Invalid ${key} '${v}'.`;
        q[field] = t;
      }
    }
    const prefix = query.get("instanceIdPrefix");
    if (prefix) q.instanceIdPrefix = prefix;
    return q;
  }

  private query(req: ManagementRequest): ManagementResponse {
    const q = this.instanceQuery(req.query);
    if (typeof q === "string") return message(400, q);
    const all = this.deps.store.queryInstances(q);
    const token =
      req.headers["x-ms-continuation-token"] ?? headerIgnoringCase(req.headers, "x-ms-continuation-token");
    const offset = token ? Number.parseInt(Buffer.from(token, "base64").toString("utf8"), 10) || 0 : 0;
    const topText = req.query.get("top");
    const top = Math.max(1, (topText ? Number.parseInt(topText, 10) : 0) || DEFAULT_PAGE_SIZE);
    const page = all.slice(offset, offset + top);
    const headers: Record<string, string> = {};
    if (offset + top < all.length) {
      headers["x-ms-continuation-token"] = Buffer.from(String(offset + top), "utf8").toString("base64");
    }
    return json(
      200,
      page.map((r) => this.statusPayload(r, req.query)),
      headers,
    );
  }

  private purge(instanceId: string): ManagementResponse {
    const record = this.deps.store.getInstance(instanceId);
    if (record && !TERMINAL_STATUSES.has(record.runtimeStatus)) {
      return message(
        412,
        `Only orchestrations in a terminal state can be purged, but the orchestration with instance ID ${instanceId} has status ${record.runtimeStatus}`,
      );
    }
    if (!this.deps.orchestrations.purge(instanceId))
      return message(404, `No instance with ID '${instanceId}' found.`);
    return json(200, { instancesDeleted: 1 });
  }

  private purgeBy(req: ManagementRequest): ManagementResponse {
    const q = this.instanceQuery(req.query);
    if (typeof q === "string") return message(400, q);
    let deleted = 0;
    for (const r of this.deps.store.queryInstances(q))
      if (this.deps.orchestrations.purge(r.instanceId)) deleted++;
    if (deleted === 0) return message(404, "No instances matched the purge filter.");
    return json(200, { instancesDeleted: deleted });
  }

  private raiseEvent(req: ManagementRequest, instanceId: string, eventName: string): ManagementResponse {
    const record = this.deps.store.getInstance(instanceId);
    if (!record) return message(404, `No instance with ID '${instanceId}' found.`);
    if (TERMINAL_STATUSES.has(record.runtimeStatus)) {
      return message(
        410,
        `The instance '${instanceId}' is ${record.runtimeStatus} and cannot receive events.`,
      );
    }
    const body = parseBody(req.body);
    if (!body.ok) return message(400, body.problem);
    const event = historyEvent(EventType.EventRaised, this.deps.now(), {
      Name: eventName,
      Input: body.value === undefined ? undefined : JSON.stringify(body.value),
    });
    this.deps.orchestrations.sendEvent(undefined, instanceId, undefined, event, true);
    return { status: 202 };
  }

  private control(kind: ControlKind, instanceId: string, reason: string): ManagementResponse {
    const result = this.deps.orchestrations.control(kind, instanceId, reason);
    if (result === "notFound") return message(404, `No instance with ID '${instanceId}' found.`);
    if (result === "notRunning") return message(410, `The instance '${instanceId}' is not running.`);
    return { status: 202 };
  }

  private signalEntity(req: ManagementRequest, name: string, key: string): ManagementResponse {
    if (invalidEntityKey(key)) {
      return message(400, "Entity keys must not contain /, \\, #, ?, or control characters.");
    }
    const op = req.query.get("op") ?? "";
    const body = parseBody(req.body);
    if (!body.ok) return message(400, body.problem);
    this.deps.entities.send(undefined, entitySchedulerId(name, key), {
      requestId: randomUUID(),
      operation: op,
      input: body.value === undefined ? undefined : JSON.stringify(body.value),
      isSignal: true,
      enqueuedAt: this.deps.now(),
    });
    return { status: 202 };
  }

  private readEntity(name: string, key: string): ManagementResponse {
    const record = this.deps.store.getEntity(entitySchedulerId(name, key));
    if (!record || !record.exists) return message(404, `Entity '${name}@${key}' does not exist.`);
    // The stored state is already JSON: send it as it is rather than parsing and re-serializing it.
    return {
      status: 200,
      headers: { "content-type": "application/json; charset=utf-8" },
      body: record.state === undefined ? "null" : record.state,
    };
  }
}

/**
 * Routes of the extension's HTTP API the devhost does not serve: rewind and restart, entity listing
 * (`GET entities[/{name}]`), `DELETE entities/{name}/{key}` and `makeprimary`.
 */
function extensionOnlyRoute(
  method: string,
  root: string | undefined,
  n: number,
  op: string | undefined,
): boolean {
  if (root === "instances") return n === 3 && method === "POST" && (op === "rewind" || op === "restart");
  if (root === "entities") return (method === "GET" && n <= 2) || (method === "DELETE" && n === 3);
  return root === "makeprimary" && n === 1;
}

function headerIgnoringCase(headers: Record<string, string>, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
