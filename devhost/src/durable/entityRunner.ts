/**
 * Durable entities: each entity runs one batch at a time, taking its due operations (in arrival order) into
 * the batch. A batch reads the entity, calls the entity function (the only await), then commits in one step:
 * the state, the messages it consumed, and the answers and signals it sends. Call results go back to the
 * waiting orchestration as EventRaised events named by the request id, the way the extension answers an
 * out-of-proc callEntity.
 */
import { killPoint } from "./killPoints";
import { randomUUID } from "node:crypto";
import type { FunctionInvoker } from "../contracts";
import { grantLock, lockGrantedEvent, takeEntityBatch } from "./entityLocks";
import { EventType, historyEvent, type HistoryEvent } from "./history";
import type { MessageBus } from "./messageBus";
import type { Log } from "./orchestrationRunner";
import { entityTarget, type DurableStore, type EntityOperation, type EntityRecord } from "./store";
import type { WorkScheduler } from "./workScheduler";

export interface EntityRunnerDeps {
  store: DurableStore;
  bus: MessageBus;
  invoker: FunctionInvoker;
  /** Runs batches as fair work items (see ./workScheduler). */
  scheduler: WorkScheduler;
  log: Log;
  /** Sends a call's answer from entity `from` to the orchestration that is waiting for it (in the step). */
  respond(
    from: string,
    instanceId: string,
    executionId: string | undefined,
    event: HistoryEvent,
    id: string,
  ): void;
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
   * Sends an operation to the entity (inside the current step, or as a step of its own): `from` (an
   * orchestration or entity id) keeps its operations to the entity in order; without it (a client signal)
   * the message is unordered, as the extension's MessageSorter does not sort messages from clients.
   */
  send(from: string | undefined, entityId: string, op: EntityOperation): void {
    // One message per operation (a forwarded lock request is a new one at each position).
    const id = `op:${op.requestId}${op.lock ? `:${op.lock.position}` : ""}`;
    this.deps.bus.send(
      entityTarget(entityId),
      { kind: "operation", op },
      from === undefined ? { id } : { id, from },
    );
  }

  /**
   * Sends the release of a lock from orchestration `from` (ordered after its earlier messages to the
   * entity); the entity is unlocked if `from` holds its lock, and its waiting operations run again.
   */
  release(from: string, entityId: string): void {
    this.deps.bus.send(entityTarget(entityId), { kind: "release", holder: from }, { from });
  }

  /** Called when the entity has due messages. */
  schedule(entityId: string): void {
    if (this.queued.has(entityId) || this.running.has(entityId)) return;
    this.queued.add(entityId);
    this.deps.scheduler.enqueue(() => this.runBatch(entityId));
  }

  private functionName(name: string): string | undefined {
    return this.deps.invoker.hasFunction(name, "entityTrigger") ? name : undefined;
  }

  private async runBatch(entityId: string): Promise<void> {
    this.queued.delete(entityId);
    this.running.add(entityId);
    let again = false;
    try {
      again = await this.batch(entityId);
    } catch (err) {
      this.deps.log("error", `Durable engine error in entity '${entityId}': ${String(err)}`);
    } finally {
      this.running.delete(entityId);
    }
    if (again) this.schedule(entityId);
  }

  /** Runs the operations that may run now, then the lock request that ends the batch, if any. True: look again. */
  private async batch(entityId: string): Promise<boolean> {
    const { store, bus } = this.deps;
    const due = bus.due(entityTarget(entityId));
    if (due.length === 0) return false;
    const record = store.getEntity(entityId) ?? newEntityRecord(entityId);
    const revision = record.revision;
    const batch = takeEntityBatch(record, due);
    if (batch.consumed.length === 0) return false;
    const describe = () => `${entityId} ${batch.ops.map((op) => op.operation).join(",")}`;
    killPoint("entity-batch", describe);
    const outcome = batch.ops.length > 0 ? await this.invoke(record, batch.ops) : undefined;
    bus.step(() => {
      const current = store.getEntity(entityId);
      if ((current?.revision ?? 0) !== revision) return; // changed meanwhile: the messages stay, to be retaken
      for (const id of batch.consumed) bus.consume(id);
      if (outcome) this.applyOutcome(record, batch.ops, outcome);
      if (batch.lock) this.lock(record, batch.lock);
      record.revision++;
      store.putEntity(record);
      killPoint("entity-commit", describe);
    });
    return true;
  }

  /** TaskEntityShim.ProcessLockRequest: locks the entity, then forwards the request or answers it. */
  private lock(record: EntityRecord, request: EntityOperation): void {
    const next = grantLock(record, request);
    if (next?.lock) {
      this.send(record.entityId, next.lock.lockSet[next.lock.position], next);
    } else if (request.parentInstanceId) {
      const event = lockGrantedEvent(request, this.deps.bus.now());
      this.deps.respond(
        record.entityId,
        request.parentInstanceId,
        request.parentExecutionId,
        event,
        `resp:${request.requestId}`,
      );
    }
  }

  /** Calls the entity function with the batch (the await of a batch). */
  private async invoke(record: EntityRecord, ops: EntityOperation[]): Promise<BatchOutcome> {
    const fn = this.functionName(record.name);
    if (!fn) {
      return {
        error: `The function '${record.name}' doesn't exist, is disabled, or is not an entity function.`,
      };
    }
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
      return { reply: (await this.deps.invoker.invoke(fn, "entityTrigger", trigger)) as EntityReply };
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
  }

  /** The batch's new state, answers and signals (inside the batch's step). */
  private applyOutcome(record: EntityRecord, ops: EntityOperation[], outcome: BatchOutcome): void {
    const now = this.deps.bus.now();
    const { reply, error: batchError } = outcome;
    if (reply) {
      record.exists = reply.entityExists === true;
      record.state = record.exists && typeof reply.entityState === "string" ? reply.entityState : undefined;
      record.lastOperationTime = now;
    }
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
      this.deps.respond(
        record.entityId,
        op.parentInstanceId,
        op.parentExecutionId,
        event,
        `resp:${op.requestId}`,
      );
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

interface BatchOutcome {
  reply?: EntityReply;
  error?: string;
}

function newEntityRecord(entityId: string): EntityRecord {
  const { name, key } = parseSchedulerId(entityId);
  return { entityId, name, key, exists: false, revision: 0 };
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
