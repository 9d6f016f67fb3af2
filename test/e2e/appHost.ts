/**
 * Runs this project's compiled app (dist/, built by `npm test` before jest) on the devhost and gives the
 * end-to-end tests small HTTP helpers. Everything goes over real loopback HTTP.
 *
 * Every devhost these tests start goes through `startAppHost`, which puts its Durable state in the store
 * DEVHOST_TEST_STORE names (set by the jest project, see ../../jest.config.js): "memory" (default, the
 * devhost's MemoryStore) or "sqlite" (a SqliteStore in a fresh temporary directory, removed when the host
 * stops).
 */
import * as path from "node:path";
import type { DurableStore, LatencyOptions, StartHostOptions } from "durable-functions-devhost";
import { MemoryStore, SqliteStore, startHost, type DevHost } from "durable-functions-devhost";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const WEBHOOKS = "/runtime/webhooks/durabletask";

export type TestStoreKind = "memory" | "sqlite";

/** The store kind this jest project runs the end-to-end tests on (DEVHOST_TEST_STORE). */
export function testStoreKind(): TestStoreKind {
  const kind = process.env.DEVHOST_TEST_STORE ?? "memory";
  if (kind !== "memory" && kind !== "sqlite") throw new Error(`DEVHOST_TEST_STORE: unknown "${kind}"`);
  return kind;
}

/** A store of the kind this project runs on; a SqliteStore's directory is deleted when the store closes. */
export function createTestStore(kind: TestStoreKind = testStoreKind()): DurableStore {
  if (kind === "memory") return new MemoryStore();
  return SqliteStore.temporary({}, "app-e2e-store-");
}

/** startHost on this project's store (the host closes it when it stops, or when it fails to start). */
export function startAppHost(options: Omit<StartHostOptions, "store">): Promise<DevHost> {
  return startHost({ ...options, store: createTestStore() });
}

export interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export class AppClient {
  constructor(readonly host: DevHost) {}

  static async start(
    options: { appDir?: string; env?: Record<string, string>; latency?: LatencyOptions } = {},
  ): Promise<AppClient> {
    for (const [k, v] of Object.entries(options.env ?? {})) process.env[k] = v;
    const host = await startAppHost({
      appDir: options.appDir ?? REPO_ROOT,
      port: 0,
      virtualTime: true,
      log: false,
      latency: options.latency,
    });
    return new AppClient(host);
  }

  request(
    method: string,
    route: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply> {
    return jsonRequest(this.host.baseUrl, method, route, body, headers);
  }

  post = (route: string, body?: unknown, headers?: Record<string, string>) =>
    this.request("POST", route, body, headers);
  get = (route: string) => this.request("GET", route);

  startJob(job: string, body: Record<string, unknown>, headers?: Record<string, string>): Promise<Reply> {
    return this.post(`/api/jobs/${job}/start`, body, headers);
  }

  jobState(job: string): Promise<Reply> {
    return this.get(`/api/jobs/${job}`);
  }

  instance(instanceId: string, query = ""): Promise<Reply> {
    return this.get(`${WEBHOOKS}/instances/${encodeURIComponent(instanceId)}${query}`);
  }

  raiseEvent(instanceId: string, event: string, data: unknown = null): Promise<Reply> {
    return this.post(`${WEBHOOKS}/instances/${encodeURIComponent(instanceId)}/raiseEvent/${event}`, data);
  }

  terminate(instanceId: string, reason = "test"): Promise<Reply> {
    return this.post(`${WEBHOOKS}/instances/${encodeURIComponent(instanceId)}/terminate?reason=${reason}`);
  }

  /** Instances whose status is live (Pending, Running, Suspended), by orchestrator name. */
  async liveInstances(name: string): Promise<{ instanceId: string; runtimeStatus: string }[]> {
    const res = await fetch(
      `${this.host.baseUrl}${WEBHOOKS}/instances?runtimeStatus=Pending,Running,Suspended`,
    );
    const all = (await res.json()) as { name: string; instanceId: string; runtimeStatus: string }[];
    return all
      .filter((i) => i.name === name)
      .map(({ instanceId, runtimeStatus }) => ({ instanceId, runtimeStatus }));
  }

  idle = () => this.host.waitForIdle();
  advance = (ms: number) => this.host.advanceTime(ms);
  stop = () => this.host.stop();
}

/** A request with a JSON body (a string body is sent as it is); the answer's JSON body, or `{ text }`. */
export async function jsonRequest(
  baseUrl: string,
  method: string,
  route: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const res = await fetch(`${baseUrl}${route}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  if (text) {
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = { text };
    }
  }
  return { status: res.status, headers: res.headers, body: parsed };
}
