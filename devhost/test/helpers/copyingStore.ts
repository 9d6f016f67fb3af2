/**
 * A store that behaves like a persistent one in the way that matters to the engine: every record and message
 * it hands out or takes in is a deep copy, so code that mutates what it read without writing it back, or that
 * compares objects by identity, breaks here as it would on SQLite.
 */
import { MemoryStore } from "../../src/durable/memoryStore";
import type {
  DurableStore,
  EntityRecord,
  InstanceQuery,
  InstanceRecord,
  Message,
  MessageTarget,
  NewMessage,
  ScheduleStatus,
} from "../../src/durable/store";

const copy = <T>(value: T): T => (value === undefined ? value : structuredClone(value));

export class CopyingStore implements DurableStore {
  private readonly inner = new MemoryStore();

  getInstance = (id: string): InstanceRecord | undefined => copy(this.inner.getInstance(id));
  putInstance = (record: InstanceRecord): void => this.inner.putInstance(copy(record));
  deleteInstance = (id: string): boolean => this.inner.deleteInstance(id);
  queryInstances = (query: InstanceQuery): InstanceRecord[] => copy(this.inner.queryInstances(query));
  getEntity = (id: string): EntityRecord | undefined => copy(this.inner.getEntity(id));
  putEntity = (record: EntityRecord): void => this.inner.putEntity(copy(record));
  deleteEntity = (id: string): boolean => this.inner.deleteEntity(id);
  listEntities = (): EntityRecord[] => copy(this.inner.listEntities());
  insertMessage = (message: NewMessage): Message | undefined => copy(this.inner.insertMessage(copy(message)));
  deleteMessage = (id: string): void => this.inner.deleteMessage(id);
  messagesFor = (target: MessageTarget): Message[] => copy(this.inner.messagesFor(target));
  allMessages = (): Message[] => copy(this.inner.allMessages());
  lastDeliveryOnRoute = (from: string, target: MessageTarget): number | undefined =>
    this.inner.lastDeliveryOnRoute(from, target);
  getScheduleStatus = (name: string): ScheduleStatus | undefined => copy(this.inner.getScheduleStatus(name));
  putScheduleStatus = (name: string, status: ScheduleStatus): void =>
    this.inner.putScheduleStatus(name, copy(status));
  transaction = <T>(fn: () => T): T => this.inner.transaction(fn);
  close = (): void => this.inner.close();
}
