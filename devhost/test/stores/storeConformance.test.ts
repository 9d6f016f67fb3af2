/**
 * What every DurableStore must do, run on each of them: the in-memory store, the copying test store and
 * SQLite. The engine relies on exactly this (see src/durable/store.ts), and on nothing else: not on getting
 * back the object it put.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DATABASE_FILE, SqliteStore } from "../../src/durable/sqliteStore";
import type {
  DurableStore,
  EntityRecord,
  InstanceRecord,
  NewMessage,
  RuntimeStatus,
} from "../../src/durable/store";
import { createTestStore, STORE_KINDS } from "../helpers/testStores";

function instance(
  instanceId: string,
  createdTime: number,
  runtimeStatus: RuntimeStatus = "Running",
): InstanceRecord {
  return {
    instanceId,
    name: "Orch",
    executionId: `exec-${instanceId}`,
    runtimeStatus,
    input: { n: createdTime },
    output: null,
    customStatus: null,
    createdTime,
    lastUpdatedTime: createdTime,
    revision: 1,
    history: [],
    nextSequence: 0,
    consumedActions: 0,
    timerActions: {},
    openTimers: {},
    retries: {},
  };
}

function entity(entityId: string, state: unknown): EntityRecord {
  return {
    entityId,
    name: "counter",
    key: entityId,
    exists: true,
    state: JSON.stringify(state),
    revision: 1,
  };
}

function message(id: string, target: string, deliverAt: number, from?: string): NewMessage {
  return {
    id,
    target,
    from,
    deliverAt,
    body: { kind: "control", control: "terminate", reason: id },
  };
}

describe.each(STORE_KINDS)("the %s store", (kind) => {
  let store: DurableStore;
  beforeEach(() => {
    store = createTestStore(kind);
  });
  afterEach(() => store.close());

  test("instances: put, get, replace, delete", () => {
    expect(store.getInstance("a")).toBeUndefined();
    store.putInstance(instance("a", 10));
    expect(store.getInstance("a")).toEqual(instance("a", 10));
    store.putInstance({ ...instance("a", 10), runtimeStatus: "Completed", output: "done", revision: 2 });
    expect(store.getInstance("a")).toMatchObject({ runtimeStatus: "Completed", output: "done", revision: 2 });
    expect(store.deleteInstance("a")).toBe(true);
    expect(store.deleteInstance("a")).toBe(false);
    expect(store.getInstance("a")).toBeUndefined();
  });

  test("queries filter by status, creation time and id prefix, ordered by creation time then id", () => {
    store.putInstance(instance("job-b", 20));
    store.putInstance(instance("job-a", 20, "Completed"));
    store.putInstance(instance("other", 5, "Failed"));
    store.putInstance(instance("job-c", 30, "Suspended"));
    const ids = (q: Parameters<DurableStore["queryInstances"]>[0]) =>
      store.queryInstances(q).map((r) => r.instanceId);
    expect(ids({})).toEqual(["other", "job-a", "job-b", "job-c"]);
    expect(ids({ runtimeStatus: ["Running", "Suspended"] })).toEqual(["job-b", "job-c"]);
    expect(ids({ runtimeStatus: [] })).toEqual(["other", "job-a", "job-b", "job-c"]);
    expect(ids({ createdTimeFrom: 20, createdTimeTo: 29 })).toEqual(["job-a", "job-b"]);
    expect(ids({ instanceIdPrefix: "job-" })).toEqual(["job-a", "job-b", "job-c"]);
    expect(ids({ instanceIdPrefix: "job-", runtimeStatus: ["Completed"] })).toEqual(["job-a"]);
    expect(ids({ instanceIdPrefix: "%" })).toEqual([]);
    expect(ids({ instanceIdPrefix: "" })).toHaveLength(4);
  });

  test("a query for live statuses follows every status change, delete and undone transaction", () => {
    const live = () =>
      store.queryInstances({ runtimeStatus: ["Pending", "Running", "Suspended"] }).map((r) => r.instanceId);
    store.putInstance(instance("a", 1, "Pending"));
    store.putInstance(instance("b", 2, "Completed"));
    expect(live()).toEqual(["a"]);
    store.putInstance(instance("a", 1, "Completed"));
    store.putInstance(instance("b", 2, "Running")); // a finished instance started again
    expect(live()).toEqual(["b"]);
    expect(() =>
      store.transaction(() => {
        store.putInstance(instance("b", 2, "Terminated"));
        store.putInstance(instance("c", 3, "Running"));
        store.deleteInstance("a");
        throw new Error("undo");
      }),
    ).toThrow("undo");
    expect(live()).toEqual(["b"]);
    expect(store.queryInstances({}).map((r) => r.instanceId)).toEqual(["a", "b"]);
    store.deleteInstance("b");
    expect(live()).toEqual([]);
    expect(
      store.queryInstances({ runtimeStatus: ["Completed", "Running"] }).map((r) => r.instanceId),
    ).toEqual(["a"]);
  });

  test("entities: put, get, list, delete", () => {
    store.putEntity(entity("@counter@b", 2));
    store.putEntity(entity("@counter@a", 1));
    expect(store.getEntity("@counter@a")).toEqual(entity("@counter@a", 1));
    expect(
      store
        .listEntities()
        .map((e) => e.entityId)
        .sort(),
    ).toEqual(["@counter@a", "@counter@b"]);
    store.putEntity({ ...entity("@counter@a", 5), lockedBy: "orch-1", revision: 2 });
    expect(store.getEntity("@counter@a")).toMatchObject({ state: "5", lockedBy: "orch-1", revision: 2 });
    expect(store.deleteEntity("@counter@a")).toBe(true);
    expect(store.deleteEntity("@counter@a")).toBe(false);
    expect(store.listEntities().map((e) => e.entityId)).toEqual(["@counter@b"]);
  });

  test("messages: a stored id is not stored again; delivery order is due time, then arrival", () => {
    const first = store.insertMessage(message("m1", "i:x", 50, "e:1"));
    expect(first).toMatchObject({ id: "m1", target: "i:x", deliverAt: 50 });
    expect(store.insertMessage(message("m1", "i:x", 0))).toBeUndefined();
    const second = store.insertMessage(message("m2", "i:x", 10, "e:1"));
    const third = store.insertMessage(message("m3", "i:x", 50));
    store.insertMessage(message("m4", "e:y", 5));
    expect(second!.seq).toBeGreaterThan(first!.seq);
    expect(third!.seq).toBeGreaterThan(second!.seq);
    expect(store.messagesFor("i:x").map((m) => m.id)).toEqual(["m2", "m1", "m3"]);
    expect(store.messagesFor("i:x")[0]).toEqual(second);
    expect(store.allMessages().map((m) => m.id)).toEqual(["m4", "m2", "m1", "m3"]);
    expect(store.messagesFor("i:nobody")).toEqual([]);
    expect(store.lastDeliveryOnRoute("e:1", "i:x")).toBe(50);
    expect(store.lastDeliveryOnRoute("e:2", "i:x")).toBeUndefined();
    store.deleteMessage("m1");
    store.deleteMessage("m1");
    expect(store.messagesFor("i:x").map((m) => m.id)).toEqual(["m2", "m3"]);
    expect(store.lastDeliveryOnRoute("e:1", "i:x")).toBe(10);
    // A deleted id may be used again (a consumed message is gone), and comes after everything stored.
    const again = store.insertMessage(message("m1", "i:x", 10));
    expect(again!.seq).toBeGreaterThan(third!.seq);
    expect(store.messagesFor("i:x").map((m) => m.id)).toEqual(["m2", "m1", "m3"]);
  });

  test("message bodies round-trip", () => {
    const bodies: NewMessage["body"][] = [
      {
        kind: "event",
        item: {
          event: { EventType: 4, EventId: -1, IsPlayed: false, Timestamp: "t" } as never,
          external: true,
        },
        executionId: "e1",
      },
      {
        kind: "operation",
        op: { requestId: "r", operation: "add", input: "1", isSignal: true, enqueuedAt: 3 },
      },
      { kind: "release", holder: "orch" },
      { kind: "activity", executionId: "e", taskId: 3, name: "Hello", input: { deep: [1, { two: null }] } },
    ];
    bodies.forEach((body, i) =>
      store.insertMessage({
        id: `b${i}`,
        target: "w:x",
        deliverAt: i,
        timer: i === 0 ? true : undefined,
        body,
      }),
    );
    expect(store.messagesFor("w:x").map((m) => [m.body, m.timer])).toEqual(
      bodies.map((b, i) => [b, i === 0 ? true : undefined]),
    );
  });

  test("schedule status round-trips per function", () => {
    expect(store.getScheduleStatus("tick")).toBeUndefined();
    const status = {
      last: "2026-01-01T00:00:00.000Z",
      next: "2026-01-01T00:05:00.000Z",
      lastUpdated: "2026-01-01T00:00:01.000Z",
    };
    store.putScheduleStatus("tick", status);
    store.putScheduleStatus("other", { ...status, next: "x" });
    expect(store.getScheduleStatus("tick")).toEqual(status);
  });

  test("a transaction that throws leaves nothing behind; one that returns keeps everything", () => {
    store.putInstance(instance("kept", 1));
    store.insertMessage(message("old", "i:kept", 1));
    expect(() =>
      store.transaction(() => {
        store.putInstance({ ...instance("kept", 1), runtimeStatus: "Failed" });
        store.putInstance(instance("new", 2));
        store.deleteInstance("kept");
        store.putEntity(entity("@e@1", 1));
        store.insertMessage(message("sent", "e:1", 2));
        store.deleteMessage("old");
        store.putScheduleStatus("tick", { last: "a", next: "b", lastUpdated: "c" });
        throw new Error("crash");
      }),
    ).toThrow("crash");
    expect(store.getInstance("kept")).toEqual(instance("kept", 1));
    expect(store.getInstance("new")).toBeUndefined();
    expect(store.getEntity("@e@1")).toBeUndefined();
    expect(store.allMessages().map((m) => m.id)).toEqual(["old"]);
    expect(store.getScheduleStatus("tick")).toBeUndefined();

    const result = store.transaction(() => {
      store.deleteMessage("old");
      store.insertMessage(message("sent", "e:1", 2));
      store.putEntity(entity("@e@1", 7));
      return "committed";
    });
    expect(result).toBe("committed");
    expect(store.allMessages().map((m) => m.id)).toEqual(["sent"]);
    expect(store.getEntity("@e@1")?.state).toBe("7");
  });

  test("an inner transaction that throws is undone alone when the outer one goes on", () => {
    store.transaction(() => {
      store.putInstance(instance("outer", 1));
      expect(() =>
        store.transaction(() => {
          store.putInstance(instance("inner", 2));
          store.insertMessage(message("inner", "i:inner", 0));
          throw new Error("inner fails");
        }),
      ).toThrow("inner fails");
      store.insertMessage(message("outer", "i:outer", 0));
    });
    expect(store.queryInstances({}).map((r) => r.instanceId)).toEqual(["outer"]);
    expect(store.allMessages().map((m) => m.id)).toEqual(["outer"]);
  });

  test("5 MB inputs, outputs, entity states and message bodies round-trip", () => {
    const big = "x".repeat(5 * 1024 * 1024);
    const record = { ...instance("big", 1), input: { big }, output: big };
    store.putInstance(record);
    store.putEntity(entity("@big@1", { big }));
    store.insertMessage({
      id: "big",
      target: "w:big",
      deliverAt: 0,
      body: { kind: "activity", executionId: "e", taskId: 0, name: "A", input: big },
    });
    expect(store.getInstance("big")).toEqual(record);
    expect(JSON.parse(store.getEntity("@big@1")!.state!)).toEqual({ big });
    expect(store.messagesFor("w:big")[0].body).toMatchObject({ input: big });
  });
});

test("SqliteStore.temporary keeps its data while open and removes its directory when it closes", () => {
  const store = SqliteStore.temporary({}, "devhost-temporary-");
  expect(path.basename(store.dataDir)).toMatch(/^devhost-temporary-/);
  store.putInstance(instance("kept", 1));
  expect(fs.existsSync(path.join(store.dataDir, DATABASE_FILE))).toBe(true);
  expect(store.getInstance("kept")?.instanceId).toBe("kept");
  store.close();
  expect(fs.existsSync(store.dataDir)).toBe(false);
});
