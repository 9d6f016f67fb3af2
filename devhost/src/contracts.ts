/**
 * The seams between the devhost's two halves:
 * - the Functions runtime (app loading, the @azure/functions-core shim, HTTP and timer triggers, CLI), and
 * - the Durable engine (orchestration replay, entities, activities, store, management HTTP API).
 */

/** Trigger binding types as @azure/functions and durable-functions register them. */
export type DurableTriggerType = "orchestrationTrigger" | "entityTrigger" | "activityTrigger";

/** Calls registered functions through @azure/functions' own programming model, as the Node worker does. */
export interface FunctionInvoker {
  /** True when a function with this name is registered with this trigger type. */
  hasFunction(name: string, triggerType: DurableTriggerType): boolean;
  /**
   * Invokes a durable-triggered function with its trigger value (the JSON object the real host sends)
   * and returns the function's return value as the host would receive it (parsed from RPC typed data).
   * Any durableClient extra input the function declared is filled in by the runtime.
   * Rejects with the function's error when the function throws, and with the Durable extension's "doesn't exist,
   * is disabled, or is not an ... function" message when the function is disabled (AzureWebJobs.<name>.Disabled).
   * `triggerMetadata` is the binding data the extension would add, when the caller knows it (for an activity:
   * `{ instanceId }` of the orchestration that scheduled it); it reaches the app as `context.triggerMetadata`.
   */
  invoke(
    name: string,
    triggerType: DurableTriggerType,
    triggerValue: unknown,
    triggerMetadata?: Record<string, unknown>,
  ): Promise<unknown>;
}

/** An HTTP request to the Durable management API, routed by the runtime. */
export interface ManagementRequest {
  method: string;
  /** The path below the management root, e.g. "instances/abc" or "entities/job/x" (no leading slash). */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: string;
  /** Origin the request arrived on, e.g. "http://127.0.0.1:7071", for building URLs in payloads. */
  origin: string;
}

export interface ManagementResponse {
  status: number;
  headers?: Record<string, string>;
  /** A string is sent as-is; anything else as JSON. */
  body?: unknown;
}

/** The Durable engine as the runtime sees it. */
export interface DurableEngine {
  /**
   * Serves the management API. The runtime mounts it at `/runtime/webhooks/durabletask/` (the public webhook
   * API, where keys apply) and at its own loopback channel `/durabletask/`, which it hands to clients as the
   * binding's `rpcBaseUrl` (replacing the engine's); it adds the system key to the public URLs it hands out.
   */
  handleManagement(req: ManagementRequest): Promise<ManagementResponse>;
  /** The durableClient binding value the real host passes to a function (taskHubName, URLs, rpcBaseUrl...). */
  clientInput(origin: string): Record<string, unknown>;
  /**
   * True when no work item is queued or running (durable timers waiting for their time do not count; with
   * `latency`, messages waiting for their delivery do).
   */
  isIdle(): boolean;
  /** Resolves the next time the engine becomes idle (immediately when it is idle). */
  whenIdle(): Promise<void>;
  /**
   * Resumes what a persistent store holds from an earlier run (undelivered messages, durable timers, activity
   * work); the host calls it once it serves requests. Returns how many stored messages it resumed.
   */
  resume?(): number;
  /**
   * Starts no new work: queued work items, messages still on their way and durable timers are dropped.
   * Resolves once the work items already running have finished (the host bounds that wait).
   */
  stop(): Promise<void>;
}

/**
 * A slow backend: every Durable message (entity operation, orchestration event, activity work item) is
 * delivered after a delay drawn uniformly in [minMs, maxMs] (whole ms, 0 <= minMs <= maxMs <= 600000) from a
 * PRNG seeded with `seed` (default 1). See `devhost/durable/latency.ts`.
 */
export interface LatencyOptions {
  minMs: number;
  maxMs: number;
  seed?: number;
}

/** Options the runtime passes to `createDurableEngine` (exported by `devhost/durable/engine.ts`). */
export interface DurableEngineOptions {
  invoker: FunctionInvoker;
  clock: import("./clock").Clock;
  /** host.json extensions.durableTask.hubName (default "TestHubName"). */
  hubName: string;
  /** host.json extensions.durableTask.overridableExistingInstanceStates. */
  overridableExistingInstanceStates?: "AnyState" | "NonRunningStates";
  /**
   * host.json extensions.durableTask.defaultVersion: the version of orchestrations and sub-orchestrations
   * started without one (`context.df.version`); default "" (no version).
   */
  defaultVersion?: string;
  /** Route prefix of the management API as mounted by the runtime, default "/runtime/webhooks/durabletask". */
  webhookPath?: string;
  log?: (level: "information" | "warning" | "error", message: string) => void;
  /** Delay every Durable message like a polling Azure Storage backend; default: none (delivered at once). */
  latency?: LatencyOptions;
  /** Where the engine keeps instances, entities and messages (default: in memory). Closed by `stop`. */
  store?: import("./durable/store").DurableStore;
}
