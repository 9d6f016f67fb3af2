/**
 * Test harness: a FunctionInvoker that runs durable-functions handlers through the SDK's own
 * createOrchestrator / createEntityFunction and JSON-roundtrips every value like the RPC hop does.
 */
import { InvocationContext } from "@azure/functions";
import type * as df from "durable-functions";
import { Clock } from "../../src/clock";
import type {
  DurableEngine,
  DurableTriggerType,
  FunctionInvoker,
  LatencyOptions,
  ManagementResponse,
} from "../../src/contracts";
import { createDurableEngine } from "../../src/durable/engine";
import { createTestStore, testStoreKind } from "../helpers/testStores";

type Handler = (trigger: unknown, context: InvocationContext) => unknown;
interface TestingUtils {
  createOrchestrator(fn: df.OrchestrationHandler): Handler;
  createEntityFunction(fn: df.EntityHandler<unknown>): Handler;
}
const testingUtils = jest.requireActual<TestingUtils>("durable-functions/lib/src/util/testingUtils");

const roundtrip = (value: unknown): unknown =>
  value === undefined ? undefined : JSON.parse(JSON.stringify(value));

export class TestInvoker implements FunctionInvoker {
  private readonly functions = new Map<string, { type: DurableTriggerType; handler: Handler }>();
  readonly calls: { name: string; type: DurableTriggerType }[] = [];

  orchestration(name: string, fn: df.OrchestrationHandler): this {
    return this.add(name, "orchestrationTrigger", testingUtils.createOrchestrator(fn));
  }

  entity(name: string, fn: df.EntityHandler<unknown>): this {
    return this.add(name, "entityTrigger", testingUtils.createEntityFunction(fn));
  }

  activity(name: string, fn: (input: unknown) => unknown): this {
    return this.add(name, "activityTrigger", (input) => fn(input));
  }

  private add(name: string, type: DurableTriggerType, handler: Handler): this {
    this.functions.set(name.toLowerCase(), { type, handler });
    return this;
  }

  hasFunction(name: string, triggerType: DurableTriggerType): boolean {
    return this.functions.get(name.toLowerCase())?.type === triggerType;
  }

  async invoke(name: string, triggerType: DurableTriggerType, triggerValue: unknown): Promise<unknown> {
    const fn = this.functions.get(name.toLowerCase());
    if (!fn || fn.type !== triggerType) throw new Error(`no ${triggerType} function '${name}'`);
    this.calls.push({ name, type: triggerType });
    const context = new InvocationContext({ functionName: name });
    return roundtrip(await fn.handler(roundtrip(triggerValue), context));
  }
}

export const ORIGIN = "http://127.0.0.1:7071";

export interface Harness {
  engine: DurableEngine;
  clock: Clock;
  invoker: TestInvoker;
  logs: string[];
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ManagementResponse>;
  start(name: string, input?: unknown, instanceId?: string): Promise<string>;
  status(instanceId: string, query?: string): Promise<Record<string, unknown>>;
  settle(): Promise<void>;
  /**
   * Settles without waiting for message latency: whenever the engine is busy, lets running work settle for
   * a macrotask, then jumps the clock to the next due timer (a delayed message, or a durable timer).
   */
  drain(): Promise<void>;
  dispose(): Promise<void>;
}

export function createHarness(
  invoker: TestInvoker,
  opts: {
    schemaVersion?: number;
    overridable?: "AnyState" | "NonRunningStates";
    latency?: LatencyOptions;
  } = {},
): Harness {
  const clock = new Clock();
  const logs: string[] = [];
  const engine = createDurableEngine(
    {
      invoker,
      clock,
      hubName: "TestHubName",
      overridableExistingInstanceStates: opts.overridable,
      log: (level, message) => logs.push(`${level}: ${message}`),
      latency: opts.latency,
    },
    { schemaVersion: opts.schemaVersion, store: createTestStore(testStoreKind()) },
  );
  engine.resume?.();
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const [p, q] = path.split("?");
    // Requests go out as application/json, as DurableClient sends its POSTs (raiseEvent requires it).
    const sent = Object.keys(headers).some((k) => k.toLowerCase() === "content-type")
      ? headers
      : { "content-type": "application/json", ...headers };
    const res = await engine.handleManagement({
      method,
      path: p,
      query: new URLSearchParams(q ?? ""),
      headers: sent,
      body: body === undefined ? "" : JSON.stringify(body),
      origin: ORIGIN,
    });
    // A JSON body may come already serialized (entity state is stored as JSON text): parse it as a client would.
    const contentType = Object.entries(res.headers ?? {}).find(
      ([k]) => k.toLowerCase() === "content-type",
    )?.[1];
    if (typeof res.body === "string" && contentType?.includes("json"))
      return { ...res, body: JSON.parse(res.body) as unknown };
    return res;
  };
  return {
    engine,
    clock,
    invoker,
    logs,
    call,
    async start(name, input, instanceId) {
      const res = await call("POST", `orchestrators/${name}${instanceId ? `/${instanceId}` : ""}`, input);
      if (res.status !== 202) throw new Error(`start failed: ${res.status} ${JSON.stringify(res.body)}`);
      return (res.body as { id: string }).id;
    },
    async status(instanceId, query = "") {
      const res = await call("GET", `instances/${instanceId}${query ? `?${query}` : ""}`);
      return res.body as Record<string, unknown>;
    },
    settle: () => engine.whenIdle(),
    async drain() {
      for (;;) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (engine.isIdle()) return;
        const due = clock.nextDue();
        if (due !== undefined) clock.advance(Math.max(0, due - clock.now()));
      }
    },
    async dispose() {
      await engine.stop();
      clock.dispose();
    },
  };
}
