/**
 * The Durable Functions HTTP management API (the public webhook API and the SDK's rpcBaseUrl calls), with
 * the status codes DurableClient expects.
 */
import { randomUUID } from "node:crypto";
import type { ManagementRequest, ManagementResponse } from "../contracts";
import { entitySchedulerId, type EntityRunner } from "./entityRunner";
import { DEFAULT_ENTITY_PAGE_SIZE, queryEntities } from "./entityQuery";
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
  /** host.json defaultVersion ("" when unset). */
  defaultVersion: string;
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
 * A bare status without a body, as HttpApiHandler answers with `request.CreateResponse(HttpStatusCode.X)`
 * (404 for an unknown instance, 410 for one that has ended).
 */
function bare(status: number): ManagementResponse {
  return { status };
}

/**
 * The body of ASP.NET's `request.CreateErrorResponse(status, message[, exception])` (an HttpError): what
 * HttpApiHandler answers for bad requests and, from its catch-all, 500 "Something went wrong while processing
 * your request" with the exception that was thrown.
 */
function httpError(
  status: number,
  text: string,
  exception?: { type: string; message: string },
): ManagementResponse {
  const body: Record<string, string> = { Message: text };
  if (exception) {
    body.ExceptionMessage = exception.message;
    body.ExceptionType = exception.type;
  }
  return json(status, body);
}

/** The answer to starting an instance over a live one with the same id (overridableExistingInstanceStates). */
export function alreadyExists(status: string): ManagementResponse {
  return httpError(500, "Something went wrong while processing your request", {
    type: "DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException",
    message: `An Orchestration instance with the status ${status} already exists.`,
  });
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

/** Entity keys the extension refuses (DurableClient.SignalEntityAsyncInternal: /, \\, #, ? or controls). */
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
   * method no route takes is a 404. Routes the extension has and the devhost lacks are a 501.
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
      if (n === 3 && method === "POST" && op === "rewind")
        return this.rewind(a, req.query.get("reason") ?? "");
      if (n === 3 && method === "POST" && op === "restart") return this.restart(req, a);
    }
    if (root === "entities" && n <= 2 && method === "GET") return this.listEntities(req, a);
    if (root === "entities" && n === 3) {
      if (method === "POST") return this.signalEntity(req, a, b);
      if (method === "GET") return this.readEntity(a, b);
    }
    if (root === "entities" && n <= 2 && (method === "POST" || method === "DELETE")) {
      // EntityId's constructor refuses a missing name or key (ArgumentNullException); the entity route's
      // catch answers it 400.
      return httpError(
        400,
        `Invalid entity id: entity ${n === 1 ? "name must not be a null or empty string" : "key must not be null"}.`,
      );
    }
    if ((root === "entities" && n === 3 && method === "DELETE") || (root === "makeprimary" && n === 1)) {
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
    const { orchestrations } = this.deps;
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
    // The `version` query parameter (durable-functions' startNew({ version }), HttpApiHandler since
    // Azure/azure-functions-durable-extension#3213), else host.json's defaultVersion.
    const version = req.query.get("version") || this.deps.defaultVersion;
    return this.startInstance(req.origin, name, instanceId, input.value, version);
  }

  /** Creates the instance unless a live one holds the id (NonRunningStates); answers the check-status payload. */
  private startInstance(
    origin: string,
    name: string,
    instanceId: string,
    input: unknown,
    version: string,
  ): ManagementResponse {
    const { orchestrations, store } = this.deps;
    const existing = store.getInstance(instanceId);
    if (
      existing &&
      this.deps.overridableExistingInstanceStates === "NonRunningStates" &&
      !TERMINAL_STATUSES.has(existing.runtimeStatus)
    ) {
      // DurableTask's OrchestrationAlreadyExistsException is not caught by HandleStartOrchestratorRequestAsync
      // (it catches only JsonReaderException), so it reaches HttpApiHandler's catch-all: a 500.
      return alreadyExists(existing.runtimeStatus);
    }
    orchestrations.create(name, instanceId, input, undefined, version);
    const payload = this.checkStatusPayload(origin, instanceId);
    return json(202, payload, { Location: payload.statusQueryGetUri, "Retry-After": "10" });
  }

  /**
   * HttpApiHandler.HandleRewindInstanceRequestAsync: 404 unknown, 410 Completed/Terminated; then
   * DurableClient.RewindAsync, whose InvalidOperationException for an instance that is not Failed becomes the
   * catch-all's 500; else the rewind (see OrchestrationRunner.rewind) and 202.
   */
  private rewind(instanceId: string, reason: string): ManagementResponse {
    const record = this.deps.store.getInstance(instanceId);
    if (!record) return bare(404);
    if (record.runtimeStatus === "Completed" || record.runtimeStatus === "Terminated") return bare(410);
    if (record.runtimeStatus !== "Failed") {
      return httpError(500, "Something went wrong while processing your request", {
        type: "System.InvalidOperationException",
        message: "The rewind operation is only supported on failed orchestration instances.",
      });
    }
    this.deps.orchestrations.rewind(instanceId, reason);
    return { status: 202 };
  }

  /**
   * HttpApiHandler.HandleRestartInstanceRequestAsync over DurableClient.RestartAsync: starts the instance's
   * orchestrator again with its original input, under a new id unless restartWithNewInstanceId=false
   * (default true), with the default version; answers the new instance's check-status payload. An unknown id
   * is the ArgumentException it turns into 400.
   */
  private restart(req: ManagementRequest, instanceId: string): ManagementResponse {
    const record = this.deps.store.getInstance(instanceId);
    if (!record) {
      return httpError(400, "InstanceId does not match a valid orchestration instance.", {
        type: "System.ArgumentException",
        message: `An orchestrastion with the instanceId ${instanceId} was not found.`,
      });
    }
    const sameId = (req.query.get("restartWithNewInstanceId") ?? "").toLowerCase() === "false";
    const newId = sameId ? instanceId : randomUUID().replace(/-/g, "");
    return this.startInstance(req.origin, record.name, newId, record.input, this.deps.defaultVersion);
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
    const token = headerIgnoringCase(req.headers, "x-ms-continuation-token");
    const offset = token ? decodeOffset(token) : 0;
    const topText = req.query.get("top");
    const top = Math.max(1, (topText ? Number.parseInt(topText, 10) : 0) || DEFAULT_PAGE_SIZE);
    const page = all.slice(offset, offset + top);
    const headers: Record<string, string> = {};
    if (offset + top < all.length) {
      headers["x-ms-continuation-token"] = encodeOffset(offset + top);
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
    if (!this.deps.orchestrations.purge(instanceId)) return bare(404);
    return json(200, { instancesDeleted: 1 });
  }

  /**
   * HttpApiHandler.HandleDeleteHistoryWithFiltersRequestAsync: createdTimeFrom is required (400 otherwise),
   * createdTimeTo defaults to now, and 0 instances deleted is a 404. Only instances in a terminal state are
   * purged: the Azure Storage tracking store keeps only Completed/Terminated/Canceled/Failed of the statuses
   * asked for (AzureTableTrackingStore.PurgeInstanceHistoryAsync); running ones are never deleted here.
   */
  private purgeBy(req: ManagementRequest): ManagementResponse {
    const q = this.instanceQuery(req.query);
    if (typeof q === "string") return message(400, q);
    if (q.createdTimeFrom === undefined)
      // CreateResponse(400, "...") serializes the string: the body is a JSON string literal.
      return json(400, JSON.stringify("Please provide value for 'createdTimeFrom' parameter."));
    q.createdTimeTo ??= this.deps.now();
    const terminal = (q.runtimeStatus ?? []).filter((s) => TERMINAL_STATUSES.has(s));
    q.runtimeStatus = terminal.length > 0 ? terminal : [...TERMINAL_STATUSES];
    let deleted = 0;
    for (const r of this.deps.store.queryInstances(q))
      if (this.deps.orchestrations.purge(r.instanceId)) deleted++;
    if (deleted === 0) return bare(404);
    return json(200, { instancesDeleted: deleted });
  }

  /**
   * HttpApiHandler.HandleRaiseEventRequestAsync: 404 for an unknown instance, 410 for an ended one (no body),
   * then 400 unless the content type is application/json, 400 for content Json.NET cannot read (an empty
   * body included: MessagePayloadDataConverter.ConvertToJToken loads a JToken from it), else 202.
   */
  private raiseEvent(req: ManagementRequest, instanceId: string, eventName: string): ManagementResponse {
    const record = this.deps.store.getInstance(instanceId);
    if (!record) return bare(404);
    if (TERMINAL_STATUSES.has(record.runtimeStatus)) return bare(410);
    const contentType = headerIgnoringCase(req.headers, "content-type") ?? "";
    if (contentType.split(";")[0].trim().toLowerCase() !== "application/json")
      return httpError(400, "Only application/json request content is supported");
    const body = parseBody(req.body);
    if (!body.ok || body.value === undefined) return invalidJson(req.body);
    const event = historyEvent(EventType.EventRaised, this.deps.now(), {
      Name: eventName,
      Input: body.value === undefined ? undefined : JSON.stringify(body.value),
    });
    this.deps.orchestrations.sendEvent(undefined, instanceId, undefined, event, true);
    return { status: 202 };
  }

  /**
   * HttpApiHandler.HandleTerminate/Suspend/ResumeInstanceRequestAsync: 404 unknown, 410 ended (no body), else
   * DurableClient.TerminateAsync / SuspendAsync / ResumeAsync; the InvalidOperationException the last two
   * throw for a suspended instance (suspend) or one not suspended (resume) becomes the catch-all's 500.
   */
  private control(kind: ControlKind, instanceId: string, reason: string): ManagementResponse {
    const status = this.deps.store.getInstance(instanceId)?.runtimeStatus;
    const result = this.deps.orchestrations.control(kind, instanceId, reason);
    if (result === "notFound") return bare(404);
    if (result === "notRunning") return bare(410);
    if (result === "wrongState") {
      return httpError(500, "Something went wrong while processing your request", {
        type: "System.InvalidOperationException",
        message: `Cannot ${kind} the orchestration instance ${instanceId} because instance is in the ${String(status)} state.`,
      });
    }
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

  /**
   * HttpApiHandler.HandleListEntitiesRequestAsync: `GET entities` or `entities/{name}` with fetchState,
   * lastOperationTimeFrom/To and top; a page of DurableEntityStatus and the next page's token in
   * x-ms-continuation-token. Unparsable values are ignored, as its TryGet* helpers do.
   */
  private listEntities(req: ManagementRequest, name: string | undefined): ManagementResponse {
    const date = (key: string): number | undefined => {
      const t = Date.parse(req.query.get(key) ?? "");
      return Number.isNaN(t) ? undefined : t;
    };
    const top = Number.parseInt(req.query.get("top") ?? "", 10);
    const token = headerIgnoringCase(req.headers, "x-ms-continuation-token");
    const page = queryEntities(this.deps.store.listEntities(), {
      name,
      lastOperationFrom: date("lastOperationTimeFrom"),
      lastOperationTo: date("lastOperationTimeTo") ?? this.deps.now(),
      pageSize: top > 0 ? top : DEFAULT_ENTITY_PAGE_SIZE,
      fetchState: (req.query.get("fetchState") ?? "").toLowerCase() === "true",
      offset: token ? decodeOffset(token) : 0,
    });
    const headers: Record<string, string> = {};
    if (page.next !== undefined) headers["x-ms-continuation-token"] = encodeOffset(page.next);
    return json(200, page.entities, headers);
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

/** Continuation tokens of the devhost's queries: the position of the next page, base64-encoded. */
function encodeOffset(offset: number): string {
  return Buffer.from(String(offset), "utf8").toString("base64");
}

function decodeOffset(token: string): number {
  return Number.parseInt(Buffer.from(token, "base64").toString("utf8"), 10) || 0;
}

/** HttpApiHandler's answer to a body Json.NET cannot read: CreateErrorResponse(400, "Invalid JSON content", e). */
function invalidJson(text: string): ManagementResponse {
  // Json.NET's words for an empty body or one past its MaxDepth; otherwise JSON.parse's.
  let detail = "Error reading JToken from JsonReader. Path '', line 0, position 0.";
  if (nestsDeeperThan(text, MAX_BODY_DEPTH))
    detail = `The reader's MaxDepth of ${MAX_BODY_DEPTH} has been exceeded.`;
  else {
    try {
      if (text.trim() !== "") JSON.parse(text);
    } catch (err) {
      detail = (err as Error).message;
    }
  }
  return httpError(400, "Invalid JSON content", {
    type: "Newtonsoft.Json.JsonReaderException",
    message: detail,
  });
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
