/**
 * The calls of a start decision through the Durable extension's HTTP API at the binding's `rpcBaseUrl`,
 * with a keep-alive undici pool: signal and read an entity, start an orchestration, read an instance's
 * runtime status. These are the same requests the SDK's DurableClient makes (`POST
 * entities/{name}/{key}?op=` → 202, `GET entities/{name}/{key}` → 200 state / 404, `POST
 * orchestrators/{name}/{id}` → 202 / 409 when a live instance has that id, `GET instances/{id}` → 200/202
 * status / 404), without axios's per-request cost: a start is a signal, a read and a startNew, so their
 * cost is the start's cost.
 */
import { Pool } from "undici";

/** A refusal or failure of the Durable extension's HTTP API (the HTTP layer answers 502 with it). */
export class DurableApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "DurableApiError";
  }
}

const pools = new Map<string, Pool>();

function poolFor(origin: string): Pool {
  let pool = pools.get(origin);
  if (!pool) {
    pool = new Pool(origin, { connections: 64, pipelining: 1 });
    pools.set(origin, pool);
  }
  return pool;
}

export class DurableRpc {
  private readonly pool: Pool;
  private readonly basePath: string;
  /** Query parameters every request carries (the public webhook API's taskHub, connection and code). */
  private readonly fixedQuery: string;

  /** `baseUrl`: the binding's `rpcBaseUrl`, or its public `baseUrl` with the required query string. */
  constructor(baseUrl: string) {
    const url = new URL(baseUrl);
    this.pool = poolFor(url.origin);
    this.basePath = url.pathname.endsWith("/") ? url.pathname : `${url.pathname}/`;
    this.fixedQuery = url.search.replace(/^\?/, "");
  }

  /** A request path below the base, with `query` and the fixed parameters. */
  private url(relative: string, query: Record<string, string | number> = {}): string {
    const parts = Object.entries(query).map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`);
    if (this.fixedQuery) parts.push(this.fixedQuery);
    return `${this.basePath}${relative}${parts.length ? `?${parts.join("&")}` : ""}`;
  }

  private entityPath(name: string, key: string): string {
    return `entities/${encodeURIComponent(name)}/${encodeURIComponent(key)}`;
  }

  async signal(name: string, key: string, operation: string, input: unknown): Promise<void> {
    const res = await this.pool.request({
      method: "POST",
      path: this.url(this.entityPath(name, key), { op: operation }),
      headers: { "content-type": "application/json" },
      body: JSON.stringify(input),
    });
    const text = await res.body.text();
    if (res.statusCode !== 202) {
      throw new DurableApiError(
        `Signalling ${name}/${key} failed with HTTP ${res.statusCode}: ${text}`,
        res.statusCode,
      );
    }
  }

  /**
   * Starts an orchestration with this instance id. "conflict" when the host refuses because a live instance
   * has the id (overridableExistingInstanceStates=NonRunningStates; see isAlreadyExists); other failures throw.
   */
  async startNew(orchestrator: string, instanceId: string, input: unknown): Promise<"started" | "conflict"> {
    const res = await this.pool.request({
      method: "POST",
      path: this.url(`orchestrators/${encodeURIComponent(orchestrator)}/${encodeURIComponent(instanceId)}`),
      headers: { "content-type": "application/json" },
      body: input === undefined ? "" : JSON.stringify(input),
    });
    const text = await res.body.text();
    if (res.statusCode === 202 || res.statusCode === 200) return "started";
    if (isAlreadyExists(res.statusCode, text)) return "conflict";
    throw new DurableApiError(
      `Starting '${orchestrator}' as '${instanceId}' failed with HTTP ${res.statusCode}: ${text}`,
      res.statusCode,
    );
  }

  /** The instance's `runtimeStatus` ("NotFound" when it never existed or was purged) and its input. */
  async instance(instanceId: string): Promise<{ runtimeStatus: string; input?: unknown }> {
    const res = await this.pool.request({
      method: "GET",
      path: this.url(`instances/${encodeURIComponent(instanceId)}`, { showInput: "true" }),
    });
    const text = await res.body.text();
    if (res.statusCode === 404) return { runtimeStatus: "NotFound" };
    // As the SDK's getStatus: 200 (ended), 202 (running) and 400 (failed, older extensions) carry a status payload.
    if (res.statusCode !== 200 && res.statusCode !== 202 && res.statusCode !== 400) {
      throw new DurableApiError(
        `Reading the status of '${instanceId}' failed with HTTP ${res.statusCode}: ${text}`,
        res.statusCode,
      );
    }
    const payload = JSON.parse(text) as { runtimeStatus?: string; input?: unknown; output?: unknown };
    return { runtimeStatus: payload.runtimeStatus ?? "NotFound", input: payload.input };
  }

  /** The status payload of an instance (`output` included), or undefined when it does not exist. */
  async status(instanceId: string): Promise<Record<string, unknown> | undefined> {
    const res = await this.pool.request({
      method: "GET",
      path: this.url(`instances/${encodeURIComponent(instanceId)}`, { showInput: "false" }),
    });
    const text = await res.body.text();
    if (res.statusCode === 404) return undefined;
    if (res.statusCode !== 200 && res.statusCode !== 202 && res.statusCode !== 400) {
      throw new DurableApiError(
        `Reading the status of '${instanceId}' failed with HTTP ${res.statusCode}: ${text}`,
        res.statusCode,
      );
    }
    return JSON.parse(text) as Record<string, unknown>;
  }

  /** Status payloads of the instances whose id starts with `prefix` (first page, up to `top`). */
  async instancesWithPrefix(prefix: string, top = 20): Promise<Record<string, unknown>[]> {
    const res = await this.pool.request({
      method: "GET",
      path: this.url("instances", { instanceIdPrefix: prefix, top, showInput: "false" }),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) {
      throw new DurableApiError(
        `Querying instances '${prefix}*' failed with HTTP ${res.statusCode}: ${text}`,
        res.statusCode,
      );
    }
    return JSON.parse(text) as Record<string, unknown>[];
  }

  /** The entity's state, or undefined when the entity does not exist. */
  async read<T>(name: string, key: string): Promise<T | undefined> {
    const res = await this.pool.request({ method: "GET", path: this.url(this.entityPath(name, key)) });
    const text = await res.body.text();
    if (res.statusCode === 404) return undefined;
    if (res.statusCode !== 200) {
      throw new DurableApiError(
        `Reading ${name}/${key} failed with HTTP ${res.statusCode}: ${text}`,
        res.statusCode,
      );
    }
    return text === "" ? undefined : (JSON.parse(text) as T);
  }
}

/**
 * Whether a start was refused because a live instance has the id. The extension answers that with a 500
 * (its start handler lets DurableTask's OrchestrationAlreadyExistsException reach the catch-all) whose
 * body names the exception; some backends and proxies answer 409.
 */
export function isAlreadyExists(status: number, body: string): boolean {
  return status === 409 || (status === 500 && /OrchestrationAlreadyExists|already exists/.test(body));
}

/** The `rpcBaseUrl` the host passed in a durable client binding, if it passed one. */
export function rpcBaseUrlOf(bindingData: unknown): string | undefined {
  const url = (bindingData as { rpcBaseUrl?: unknown } | undefined)?.rpcBaseUrl;
  return typeof url === "string" && url !== "" ? url : undefined;
}

/**
 * The management API's base for a durable client binding: its `rpcBaseUrl` (a loopback channel), else its
 * public `baseUrl` with the `requiredQueryStringParameters` (task hub, connection, system key) on every call.
 */
export function managementBaseOf(bindingData: unknown): string | undefined {
  const rpc = rpcBaseUrlOf(bindingData);
  if (rpc) return rpc;
  const data = bindingData as { baseUrl?: unknown; requiredQueryStringParameters?: unknown } | undefined;
  if (typeof data?.baseUrl !== "string" || data.baseUrl === "") return undefined;
  const query =
    typeof data.requiredQueryStringParameters === "string" ? data.requiredQueryStringParameters : "";
  return `${data.baseUrl.replace(/\/+$/, "")}/${query ? `?${query}` : ""}`;
}
