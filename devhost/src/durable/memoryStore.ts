/**
 * The in-memory store: records and messages in Maps. It hands out the objects it holds (no copies), which is
 * fast; the engine does not rely on that (the conformance suite runs it on a copying store too). A
 * transaction keeps an undo log, so a step that throws half-way leaves nothing behind.
 */
import {
  matchesQuery,
  TERMINAL_STATUSES,
  type DurableStore,
  type EntityRecord,
  type InstanceQuery,
  type InstanceRecord,
  type Message,
  type MessageTarget,
  type NewMessage,
  type ScheduleStatus,
} from "./store";

export function byDelivery(a: Message, b: Message): number {
  return a.deliverAt - b.deliverAt || a.seq - b.seq;
}

export class MemoryStore implements DurableStore {
  private readonly instances = new Map<string, InstanceRecord>();
  /**
   * The instances last put with a live (non-terminal) status: a query for live statuses (a dashboard's
   * Pending,Running,Suspended) reads these, not every finished instance the store keeps. Candidates are
   * still matched against the query, so the index only has to hold a superset of the live ones.
   */
  private readonly liveIds = new Set<string>();
  private readonly entities = new Map<string, EntityRecord>();
  private readonly messages = new Map<string, Message>();
  private readonly byTarget = new Map<MessageTarget, Map<string, Message>>();
  private readonly schedules = new Map<string, ScheduleStatus>();
  private seq = 0;
  private depth = 0;
  private undo: (() => void)[] = [];

  getInstance(instanceId: string): InstanceRecord | undefined {
    return this.instances.get(instanceId);
  }

  putInstance(record: InstanceRecord): void {
    this.rememberInstance(record.instanceId);
    this.setInstance(record.instanceId, record);
  }

  deleteInstance(instanceId: string): boolean {
    this.rememberInstance(instanceId);
    const had = this.instances.has(instanceId);
    this.setInstance(instanceId, undefined);
    return had;
  }

  queryInstances(query: InstanceQuery): InstanceRecord[] {
    const statuses = query.runtimeStatus ?? [];
    const onlyLive = statuses.length > 0 && statuses.every((s) => !TERMINAL_STATUSES.has(s));
    const candidates = onlyLive
      ? [...this.liveIds].map((id) => this.instances.get(id) as InstanceRecord)
      : this.instances.values();
    const out: InstanceRecord[] = [];
    for (const r of candidates) if (matchesQuery(r, query)) out.push(r);
    return out.sort(
      (a, b) =>
        a.createdTime - b.createdTime ||
        (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0),
    );
  }

  getEntity(entityId: string): EntityRecord | undefined {
    return this.entities.get(entityId);
  }

  putEntity(record: EntityRecord): void {
    this.remember(this.entities, record.entityId);
    this.entities.set(record.entityId, record);
  }

  deleteEntity(entityId: string): boolean {
    this.remember(this.entities, entityId);
    return this.entities.delete(entityId);
  }

  listEntities(): EntityRecord[] {
    return [...this.entities.values()];
  }

  insertMessage(message: NewMessage): Message | undefined {
    if (this.messages.has(message.id)) return undefined;
    const stored: Message = { ...message, seq: ++this.seq };
    this.messages.set(stored.id, stored);
    let forTarget = this.byTarget.get(stored.target);
    if (!forTarget) this.byTarget.set(stored.target, (forTarget = new Map()));
    forTarget.set(stored.id, stored);
    if (this.depth > 0) this.undo.push(() => this.removeMessage(stored.id));
    return stored;
  }

  deleteMessage(id: string): void {
    const message = this.messages.get(id);
    if (!message) return;
    this.removeMessage(id);
    if (this.depth > 0) {
      this.undo.push(() => {
        this.messages.set(id, message);
        let forTarget = this.byTarget.get(message.target);
        if (!forTarget) this.byTarget.set(message.target, (forTarget = new Map()));
        forTarget.set(id, message);
      });
    }
  }

  messagesFor(target: MessageTarget): Message[] {
    const forTarget = this.byTarget.get(target);
    return forTarget ? [...forTarget.values()].sort(byDelivery) : [];
  }

  allMessages(): Message[] {
    return [...this.messages.values()].sort(byDelivery);
  }

  lastDeliveryOnRoute(from: string, target: MessageTarget): number | undefined {
    let last: number | undefined;
    for (const m of this.byTarget.get(target)?.values() ?? []) {
      if (m.from === from && (last === undefined || m.deliverAt > last)) last = m.deliverAt;
    }
    return last;
  }

  getScheduleStatus(functionName: string): ScheduleStatus | undefined {
    return this.schedules.get(functionName);
  }

  putScheduleStatus(functionName: string, status: ScheduleStatus): void {
    this.remember(this.schedules, functionName);
    this.schedules.set(functionName, status);
  }

  transaction<T>(fn: () => T): T {
    const mark = this.undo.length;
    this.depth++;
    try {
      return fn();
    } catch (err) {
      while (this.undo.length > mark) (this.undo.pop() as () => void)();
      throw err;
    } finally {
      this.depth--;
      if (this.depth === 0) this.undo = [];
    }
  }

  close(): void {
    // Nothing held open.
  }

  private removeMessage(id: string): void {
    const message = this.messages.get(id);
    if (!message) return;
    this.messages.delete(id);
    const forTarget = this.byTarget.get(message.target);
    forTarget?.delete(id);
    if (forTarget?.size === 0) this.byTarget.delete(message.target);
  }

  private setInstance(instanceId: string, record: InstanceRecord | undefined): void {
    if (record) this.instances.set(instanceId, record);
    else this.instances.delete(instanceId);
    if (record && !TERMINAL_STATUSES.has(record.runtimeStatus)) this.liveIds.add(instanceId);
    else this.liveIds.delete(instanceId);
  }

  /** Inside a transaction, how to put instance `instanceId` (and its place in the live index) back as it is now. */
  private rememberInstance(instanceId: string): void {
    if (this.depth === 0) return;
    const old = this.instances.get(instanceId);
    this.undo.push(() => this.setInstance(instanceId, old));
  }

  /** Inside a transaction, how to put `key` of `map` back as it is now. */
  private remember<V>(map: Map<string, V>, key: string): void {
    if (this.depth === 0) return;
    const had = map.has(key);
    const old = map.get(key);
    this.undo.push(() => (had ? map.set(key, old as V) : map.delete(key)));
  }
}
