/**
 * The devhost's Durable engine: orchestrations, activities, entities and the management API over a store.
 * Work is dispatched as soon as it arrives, never on a polling tick, in bounded turns that leave the event
 * loop to HTTP requests and timers in between (see ./workScheduler); with `latency`, messages arrive late
 * (see ./latency).
 */
import type {
  DurableEngine,
  DurableEngineOptions,
  ManagementRequest,
  ManagementResponse,
} from "../contracts";
import { WorkRunner } from "./activityRunner";
import { EntityRunner } from "./entityRunner";
import { buildClientInput, ManagementApi } from "./managementApi";
import { MemoryStore } from "./memoryStore";
import { MessageBus } from "./messageBus";
import { OrchestrationRunner, type Log } from "./orchestrationRunner";
import type { DurableStore } from "./store";
import { WorkScheduler, type TurnLimits } from "./workScheduler";
import { WorkTracker } from "./workTracker";

export const DEFAULT_WEBHOOK_PATH = "/runtime/webhooks/durabletask";

/** Extra knobs for tests and stores. */
export interface DurableEngineInternals {
  /** Where the engine keeps its state (default: a new MemoryStore). */
  store?: DurableStore;
  /** Highest OOProc replay schema offered to the SDK: 0 (V1) .. 3 (V4, default). */
  schemaVersion?: number;
  /** How much work one scheduler turn may start (default DEFAULT_TURN_LIMITS). */
  turnLimits?: TurnLimits;
}

export function createDurableEngine(
  options: DurableEngineOptions,
  internals: DurableEngineInternals = {},
): DurableEngine {
  const store = internals.store ?? options.store ?? new MemoryStore();
  const work = new WorkTracker();
  const log: Log = options.log ?? (() => undefined);
  const webhookPath = (options.webhookPath ?? DEFAULT_WEBHOOK_PATH).replace(/\/+$/, "");
  const scheduler = new WorkScheduler(
    work,
    (err) => log("error", `Durable engine error in a work item: ${String(err)}`),
    internals.turnLimits,
  );
  const bus = new MessageBus(store, options.clock, work, options.latency, (err) =>
    log("error", `Durable engine error delivering a message: ${String(err)}`),
  );

  // The runners reference each other; the entity runner reaches the orchestrations late-bound.
  const late: { orchestrations?: OrchestrationRunner } = {};
  const entities = new EntityRunner({
    store,
    bus,
    invoker: options.invoker,
    scheduler,
    log,
    respond: (from, instanceId, executionId, event, id) =>
      late.orchestrations?.sendEvent(from, instanceId, executionId, event, false, false, id),
  });
  const orchestrations = new OrchestrationRunner({
    store,
    bus,
    invoker: options.invoker,
    clock: options.clock,
    scheduler,
    log,
    schemaVersion: internals.schemaVersion ?? 3,
    sendEntityOperation: (from, entityId, op) => entities.send(from, entityId, op),
    releaseEntityLock: (from, entityId) => entities.release(from, entityId),
    defaultVersion: options.defaultVersion ?? "",
  });
  const workItems = new WorkRunner({
    store,
    bus,
    invoker: options.invoker,
    scheduler,
    log,
    // Work items and their results are unordered messages, like the extension's activity messages.
    sendResult: (instanceId, executionId, event, id) =>
      orchestrations.sendEvent(undefined, instanceId, executionId, event, false, false, id),
  });
  const api = new ManagementApi({
    store,
    orchestrations,
    entities,
    now: () => options.clock.now(),
    hubName: options.hubName,
    webhookPath,
    overridableExistingInstanceStates: options.overridableExistingInstanceStates ?? "NonRunningStates",
    defaultVersion: options.defaultVersion ?? "",
  });
  late.orchestrations = orchestrations;
  bus.route((target) => {
    const id = target.slice(2);
    if (target.startsWith("i:")) orchestrations.schedule(id);
    else if (target.startsWith("e:")) entities.schedule(id);
    else if (target.startsWith("w:")) workItems.schedule(id);
  });
  return {
    handleManagement(req: ManagementRequest): Promise<ManagementResponse> {
      return api.handle(req);
    },
    clientInput(origin: string): Record<string, unknown> {
      return buildClientInput(origin.replace(/\/+$/, ""), options.hubName, webhookPath);
    },
    isIdle: () => work.isIdle(),
    whenIdle: () => work.whenIdle(),
    resume(): number {
      // Whatever a previous run left undone (messages, durable timers, activity work) goes on from here.
      const resumed = bus.recover();
      if (resumed > 0) log("information", `Durable engine: resumed ${resumed} stored messages.`);
      return resumed;
    },
    async stop(): Promise<void> {
      // Like a task hub worker that stops: nothing new starts. Queued work items are dropped rather than
      // awaited (their messages stay stored: a persistent store runs them at the next start); the items
      // already running finish.
      bus.stop();
      scheduler.stop();
      await work.whenIdle();
      store.close();
    },
  };
}
