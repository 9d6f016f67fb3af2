/**
 * Durable entities: each entity runs one batch at a time, taking every queued operation (in arrival order)
 * into the batch. Call results go back to the waiting orchestration as EventRaised events named by the
 * request id, the way the extension answers an out-of-proc callEntity.
 */
import { randomUUID } from "node:crypto";
import type { Clock } from "../clock";
import type { FunctionInvoker } from "../contracts";
import { enqueueOperation, grantLock, lockGrantedEvent, mayDequeue, takeEntityBatch } from "./entityLocks";
import { EventType, historyEvent, type HistoryEvent } from "./history";
import type { MessageDelivery } from "./latency";
import type { Log } from "./orchestrationRunner";
import type { DurableStore, EntityOperation, EntityRecord } from "./store";
import type { WorkScheduler } from "./workScheduler";

export interface EntityRunnerDeps {
  store: DurableStore;
  invoker: FunctionInvoker;
  clock: Clock;
  /** Runs batches as fair work items (see ./workScheduler). */
  scheduler: WorkScheduler;
  log: Log;
  /** Carries every operation sent to an entity (immediately, or late with latency on). */
  messages: MessageDelivery;
  /** Sends a call's answer from entity `from` to the orchestration that is waiting for it. */
  respond(from: string, instanceId: string, executionId: string | undefined, event: HistoryEvent): void;
}

interface EntityReply {
  entityExists?: boolean;
  entityState?: string;
  results?: { isError?: boolean; result?: string }[];
  signals?: { target?: { name?: string; key?: string }; name?: string; input?: string }[];
}

/** `@name@key` with the name lowercased, as DurableTask addresses entities. */
export function entitySchedulerId(name: string, key: string): string {
  return `@${name.toLowerCase()}@${key}`;
}

export function parseSchedulerId(entityId: string): { name: string; key: string } {
  const at = entityId.indexOf("@", 1);
  if (!entityId.startsWith("@") || at < 0) throw new Error(`invalid entity id '${entityId}'`);
  return { name: entityId.slice(1, at), key: entityId.slice(at + 1) };
}

export class EntityRunner {
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();

  constructor(private readonly deps: EntityRunnerDeps) {}

  /**
   * Sends an operation to the entity: `from` (an orchestration or entity id) keeps its operations to the
   * entity in order; without it (a client signal) the message is unordered, as the extension's MessageSorter
   * does not sort messages from clients.
   */
  send(from: string | undefined, entityId: string, op: EntityOperation): void {
    const route = from === undefined ? undefined : { from, to: entityId };
    this.deps.messages.send(route, () => this.enqueue(entityId, op));
  }

  /** Queues a delivered operation and schedules a batch. */
  enqueue(entityId: string, op: EntityOperation): void {
    const { store } = this.deps;
    let record = store.getEntity(entityId);
    if (!record) {
      const { name, key } = parseSchedulerId(entityId);
      record = { entityId, name, key, exists: false, queue: [] };
    }
    enqueueOperation(record, op);
    store.putEntity(record);
    this.schedule(entityId);
  }

  /**
   * Sends the release of a lock from orchestration `from` (ordered after its earlier messages to the
   * entity); on delivery the entity is unlocked if `from` holds its lock, and its queue runs again.
   */
  release(from: string, entityId: string): void {
    this.deps.messages.send({ from, to: entityId }, () => {
      const record = this.deps.store.getEntity(entityId);
      if (!record || record.lockedBy !== from) return;
      delete record.lockedBy;
      this.deps.store.putEntity(record);
      this.schedule(entityId);
    });
  }

  private schedule(entityId: string): void {
    if (this.queued.has(entityId) || this.running.has(entityId)) return;
    this.queued.add(entityId);
    this.deps.scheduler.enqueue(() => this.runBatch(entityId));
  }

  private functionName(name: string): string | undefined {
    return this.deps.invoker.hasFunction(name, "entityTrigger") ? name : undefined;
  }

  private async runBatch(entityId: string): Promise<void> {
    this.queued.delete(entityId);
    const record = this.deps.store.getEntity(entityId);
    if (!record || !mayDequeue(record)) return;
    this.running.add(entityId);
    try {
      await this.batch(record);
    } catch (err) {
      this.deps.log("error", `Durable engine error in entity '${entityId}': ${String(err)}`);
    } finally {
      this.running.delete(entityId);
      const current = this.deps.store.getEntity(entityId);
      if (current && mayDequeue(current)) this.schedule(entityId);
    }
  }

  /** Runs the operations that may run now, then the lock request that ends the batch, if any. */
  private async batch(record: EntityRecord): Promise<void> {
    const { ops, lock } = takeEntityBatch(record);
    if (ops.length > 0) await this.operations(record, ops);
    if (lock) this.lock(record, lock);
  }

  /** TaskEntityShim.ProcessLockRequest: locks the entity, then forwards the request or answers it. */
  private lock(record: EntityRecord, request: EntityOperation): void {
    const next = grantLock(record, request);
    this.deps.store.putEntity(record);
    if (next?.lock) {
      this.send(record.entityId, next.lock.lockSet[next.lock.position], next);
    } else if (request.parentInstanceId) {
      const event = lockGrantedEvent(request, this.deps.clock.now());
      this.deps.respond(record.entityId, request.parentInstanceId, request.parentExecutionId, event);
    }
  }

  private async operations(record: EntityRecord, ops: EntityOperation[]): Promise<void> {
    const { store, invoker, clock } = this.deps;
    const fn = this.functionName(record.name);
    let reply: EntityReply | undefined;
    let batchError: string | undefined;
    if (!fn) {
      batchError = `The function '${record.name}' doesn't exist, is disabled, or is not an entity function.`;
    } else {
      const trigger = {
        self: { name: record.name, key: record.key },
        exists: record.exists,
        state: record.state,
        batch: ops.map((op) => ({
          id: op.requestId,
          name: op.operation,
          signal: op.isSignal,
          input: op.input,
        })),
      };
      try {
        reply = (await invoker.invoke(fn, "entityTrigger", trigger)) as EntityReply;
      } catch (err) {
        batchError = err instanceof Error ? err.message : String(err);
      }
    }
    const now = clock.now();
    if (reply) {
      record.exists = reply.entityExists === true;
      record.state = record.exists && typeof reply.entityState === "string" ? reply.entityState : undefined;
      record.lastOperationTime = now;
    }
    store.putEntity(record);

    ops.forEach((op, i) => {
      const result = reply?.results?.[i];
      const error = batchError ?? (result?.isError ? describeOperationError(result.result) : undefined);
      const failed = batchError !== undefined || result?.isError === true;
      if (op.isSignal) {
        if (failed) {
          this.deps.log(
            "warning",
            `Entity signal '${op.operation}' to '${record.entityId}' failed: ${String(error)}`,
          );
        }
        return;
      }
      if (!op.parentInstanceId) return;
      const message = failed
        ? {
            result: JSON.stringify(
              `Operation '${op.operation}' on entity '${record.entityId}' failed: ${String(error)}`,
            ),
            exceptionType: "EntityOperationFailedException",
          }
        : result?.result !== undefined
          ? { result: result.result }
          : {};
      const event = historyEvent(EventType.EventRaised, now, {
        Name: op.requestId,
        Input: JSON.stringify(message),
      });
      this.deps.respond(record.entityId, op.parentInstanceId, op.parentExecutionId, event);
    });

    for (const signal of reply?.signals ?? []) {
      const name = signal.target?.name;
      const key = signal.target?.key;
      if (!name || key === undefined || !signal.name) continue;
      this.send(record.entityId, entitySchedulerId(name, key), {
        requestId: randomUUID(),
        operation: signal.name,
        input: signal.input === "" ? undefined : signal.input,
        isSignal: true,
        enqueuedAt: now,
      });
    }
  }
}

/** The SDK reports a thrown operation error as JSON.stringify(error), which is "{}" for Error objects. */
function describeOperationError(result: string | undefined): string {
  if (!result || result === "{}") return "the operation threw an error";
  try {
    const parsed = JSON.parse(result) as unknown;
    if (typeof parsed === "string") return parsed;
    if (
      parsed &&
      typeof parsed === "object" &&
      typeof (parsed as { message?: unknown }).message === "string"
    ) {
      return (parsed as { message: string }).message;
    }
  } catch {
    // keep the raw text
  }
  return result;
}
