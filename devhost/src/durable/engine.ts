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
import { ActivityRunner } from "./activityRunner";
import { EntityRunner } from "./entityRunner";
import { messageDelivery } from "./latency";
import { buildClientInput, ManagementApi } from "./managementApi";
import { MemoryStore } from "./memoryStore";
import { OrchestrationRunner, type Log } from "./orchestrationRunner";
import type { DurableStore } from "./store";
import { WorkScheduler, type TurnLimits } from "./workScheduler";
import { WorkTracker } from "./workTracker";

export const DEFAULT_WEBHOOK_PATH = "/runtime/webhooks/durabletask";

/** Extra knobs for tests and for the persistent store to come. */
export interface DurableEngineInternals {
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
  const store = internals.store ?? new MemoryStore();
  const work = new WorkTracker();
  const log: Log = options.log ?? (() => undefined);
  const webhookPath = (options.webhookPath ?? DEFAULT_WEBHOOK_PATH).replace(/\/+$/, "");
  const scheduler = new WorkScheduler(
    work,
    (err) => log("error", `Durable engine error in a work item: ${String(err)}`),
    internals.turnLimits,
  );
  const activities = new ActivityRunner(options.invoker, scheduler);
  const messages = messageDelivery(options.latency, options.clock, work, (err) =>
    log("error", `Durable engine error delivering a message: ${String(err)}`),
  );

  // The two runners reference each other; the entity runner reaches the orchestrations late-bound.
  const late: { orchestrations?: OrchestrationRunner } = {};
  const entities = new EntityRunner({
    store,
    invoker: options.invoker,
    clock: options.clock,
    scheduler,
    log,
    messages,
    respond: (from, instanceId, executionId, event) =>
      late.orchestrations?.sendEvent(from, instanceId, executionId, event),
  });
  const orchestrations = new OrchestrationRunner({
    store,
    invoker: options.invoker,
    clock: options.clock,
    scheduler,
    activities,
    log,
    schemaVersion: internals.schemaVersion ?? 3,
    messages,
    sendEntityOperation: (from, entityId, op) => entities.send(from, entityId, op),
    releaseEntityLock: (from, entityId) => entities.release(from, entityId),
    defaultVersion: options.defaultVersion ?? "",
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

  return {
    handleManagement(req: ManagementRequest): Promise<ManagementResponse> {
      return api.handle(req);
    },
    clientInput(origin: string): Record<string, unknown> {
      return buildClientInput(origin.replace(/\/+$/, ""), options.hubName, webhookPath);
    },
    isIdle: () => work.isIdle(),
    whenIdle: () => work.whenIdle(),
    async stop(): Promise<void> {
      // Like a task hub worker that stops: nothing new starts. Queued work items and messages still on their
      // way (latency on) are dropped rather than awaited; the items already running finish.
      messages.stop();
      orchestrations.stop();
      scheduler.stop();
      await work.whenIdle();
    },
  };
}
