/**
 * Entity listing for the management API's `GET entities[/{name}]` (HttpApiHandler.HandleListEntitiesRequestAsync
 * over DurableClient.ListEntitiesAsync): entities that exist, optionally of one name, whose last operation
 * falls in [lastOperationTimeFrom, lastOperationTimeTo], a page at a time, ordered by entity id.
 */
import { isoTime, parseJsonText } from "./history";
import type { EntityRecord } from "./store";

/** EntityQuery.PageSize's default. */
export const DEFAULT_ENTITY_PAGE_SIZE = 100;

export interface EntityQuery {
  /** Entity name, matched like the extension's `@name@` id prefix: case-insensitively. */
  name?: string;
  lastOperationFrom?: number;
  /** EntityQuery.LastOperationTo defaults to now. */
  lastOperationTo: number;
  pageSize: number;
  /** EntityQuery.FetchState defaults to false: `state` is then null. */
  fetchState: boolean;
  /** Position after the previous page (the continuation token carries it). */
  offset: number;
}

/** One entry of the answer: DurableEntityStatus as the extension serializes it. */
export interface DurableEntityStatus {
  entityId: { name: string; key: string };
  lastOperationTime: string;
  state: unknown;
}

export interface EntityPage {
  entities: DurableEntityStatus[];
  /** Offset of the next page, when there is one. */
  next?: number;
}

export function queryEntities(records: Iterable<EntityRecord>, query: EntityQuery): EntityPage {
  const name = query.name?.toLowerCase();
  const matches: EntityRecord[] = [];
  for (const r of records) {
    // Only entities that exist (EntityQuery.IncludeDeleted is false over HTTP).
    if (!r.exists || r.lastOperationTime === undefined) continue;
    if (name !== undefined && r.name.toLowerCase() !== name) continue;
    if (query.lastOperationFrom !== undefined && r.lastOperationTime < query.lastOperationFrom) continue;
    if (r.lastOperationTime > query.lastOperationTo) continue;
    matches.push(r);
  }
  matches.sort((a, b) => (a.entityId < b.entityId ? -1 : a.entityId > b.entityId ? 1 : 0));
  const page = matches.slice(query.offset, query.offset + query.pageSize);
  const next = query.offset + query.pageSize;
  return {
    entities: page.map((r) => entityStatus(r, query.fetchState)),
    ...(next < matches.length ? { next } : {}),
  };
}

function entityStatus(record: EntityRecord, fetchState: boolean): DurableEntityStatus {
  return {
    // The scheduler id's name: lowercased, as EntityId.GetEntityIdFromSchedulerId returns it.
    entityId: { name: record.name.toLowerCase(), key: record.key },
    lastOperationTime: isoTime(record.lastOperationTime ?? 0),
    state: fetchState && record.state !== undefined ? (parseJsonText(record.state) ?? null) : null,
  };
}
