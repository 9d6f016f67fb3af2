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

  constructor(rpcBaseUrl: string) {
    const url = new URL(rpcBaseUrl);
    this.pool = poolFor(url.origin);
    this.basePath = url.pathname.endsWith("/") ? url.pathname : `${url.pathname}/`;
  }

  private path(name: string, key: string): string {
    return `${this.basePath}entities/${encodeURIComponent(name)}/${encodeURIComponent(key)}`;
  }

  async signal(name: string, key: string, operation: string, input: unknown): Promise<void> {
    const res = await this.pool.request({
      method: "POST",
      path: `${this.path(name, key)}?op=${encodeURIComponent(operation)}`,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(input),
    });
    const text = await res.body.text();
    if (res.statusCode !== 202) {
      throw new Error(`Signalling ${name}/${key} failed with HTTP ${res.statusCode}: ${text}`);
    }
  }

  /** Starts an orchestration with this instance id; rejects when the host refuses (e.g. 409: a live instance has it). */
  async startNew(orchestrator: string, instanceId: string, input: unknown): Promise<void> {
    const res = await this.pool.request({
      method: "POST",
      path: `${this.basePath}orchestrators/${encodeURIComponent(orchestrator)}/${encodeURIComponent(instanceId)}`,
      headers: { "content-type": "application/json" },
      body: input === undefined ? "" : JSON.stringify(input),
    });
    const text = await res.body.text();
    if (res.statusCode !== 202 && res.statusCode !== 200) {
      throw new Error(
        `Starting '${orchestrator}' as '${instanceId}' failed with HTTP ${res.statusCode}: ${text}`,
      );
    }
  }

  /** The instance's `runtimeStatus`, or "NotFound" (never existed, or purged). */
  async runtimeStatus(instanceId: string): Promise<string> {
    const res = await this.pool.request({
      method: "GET",
      path: `${this.basePath}instances/${encodeURIComponent(instanceId)}`,
    });
    const text = await res.body.text();
    if (res.statusCode === 404) return "NotFound";
    // As the SDK's getStatus: 200 (ended), 202 (running) and 400 (failed, older extensions) carry a status payload.
    if (res.statusCode !== 200 && res.statusCode !== 202 && res.statusCode !== 400) {
      throw new Error(`Reading the status of '${instanceId}' failed with HTTP ${res.statusCode}: ${text}`);
    }
    return (JSON.parse(text) as { runtimeStatus?: string }).runtimeStatus ?? "NotFound";
  }

  /** The entity's state, or undefined when the entity does not exist. */
  async read<T>(name: string, key: string): Promise<T | undefined> {
    const res = await this.pool.request({ method: "GET", path: this.path(name, key) });
    const text = await res.body.text();
    if (res.statusCode === 404) return undefined;
    if (res.statusCode !== 200)
      throw new Error(`Reading ${name}/${key} failed with HTTP ${res.statusCode}: ${text}`);
    return text === "" ? undefined : (JSON.parse(text) as T);
  }
}

/** The `rpcBaseUrl` the host passed in a durable client binding, if it passed one. */
export function rpcBaseUrlOf(bindingData: unknown): string | undefined {
  const url = (bindingData as { rpcBaseUrl?: unknown } | undefined)?.rpcBaseUrl;
  return typeof url === "string" && url !== "" ? url : undefined;
}
