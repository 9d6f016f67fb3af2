import {
  matchesQuery,
  type DurableStore,
  type EntityRecord,
  type InstanceQuery,
  type InstanceRecord,
} from "./store";

/** Keeps every record as a live object in a Map: `put*` only registers new records. */
export class MemoryStore implements DurableStore {
  private readonly instances = new Map<string, InstanceRecord>();
  private readonly entities = new Map<string, EntityRecord>();

  getInstance(instanceId: string): InstanceRecord | undefined {
    return this.instances.get(instanceId);
  }

  putInstance(record: InstanceRecord): void {
    this.instances.set(record.instanceId, record);
  }

  deleteInstance(instanceId: string): boolean {
    return this.instances.delete(instanceId);
  }

  queryInstances(query: InstanceQuery): InstanceRecord[] {
    const out: InstanceRecord[] = [];
    for (const r of this.instances.values()) if (matchesQuery(r, query)) out.push(r);
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
    this.entities.set(record.entityId, record);
  }

  deleteEntity(entityId: string): boolean {
    return this.entities.delete(entityId);
  }

  listEntities(): EntityRecord[] {
    return [...this.entities.values()];
  }
}
