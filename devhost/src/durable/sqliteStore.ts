/**
 * The SQLite store (better-sqlite3): the devhost's durable default. One file, `durable.sqlite`, in a data
 * directory. Records are JSON text beside the columns queries need; messages are rows with a unique id (a
 * second insert of the same id is ignored: redelivery is deduplicated) and an AUTOINCREMENT seq that keeps
 * arrival order across restarts.
 *
 * Durability: WAL journal. `synchronous: "normal"` (default) survives a killed process: a committed step is in
 * the WAL before `transaction` returns, only an OS crash or power loss can lose the last commits. `"full"`
 * also syncs the WAL on every commit and survives power loss, at the cost of an fsync per step.
 *
 * One host per data directory: the connection takes SQLite's EXCLUSIVE locking mode, so a second process
 * opening the same file is refused (StoreLockedError) instead of interleaving writes. The kernel drops the lock
 * with the process, so a killed host leaves nothing stale behind.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Database from "better-sqlite3";
import type { Statement } from "better-sqlite3";
import {
  type DurableStore,
  type EntityRecord,
  type InstanceQuery,
  type InstanceRecord,
  type Message,
  type MessageTarget,
  type NewMessage,
  type ScheduleStatus,
} from "./store";

export const DATABASE_FILE = "durable.sqlite";
/** Bumped when the tables change shape; a data directory of another version is refused, not misread. */
export const SCHEMA_VERSION = 1;

export type SqliteSynchronous = "normal" | "full";

export interface SqliteStoreOptions {
  /** Default "normal" (survives a process crash); "full" also survives power loss. */
  synchronous?: SqliteSynchronous;
}

/** Another process (or another store in this one) has the data directory open. */
export class StoreLockedError extends Error {
  constructor(readonly dataDir: string) {
    super(
      `The data directory ${dataDir} is in use by another devhost. Stop that host, or start this one with ` +
        `another --data directory (or --memory).`,
    );
    this.name = "StoreLockedError";
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS instances (
  instance_id TEXT PRIMARY KEY,
  runtime_status TEXT NOT NULL,
  created_time INTEGER NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS instances_by_creation ON instances (created_time, instance_id);
-- Status queries (live instances: Pending,Running,Suspended) read only the rows they return, not every
-- finished instance kept since the store began. Added without a schema version bump: older hosts ignore it.
CREATE INDEX IF NOT EXISTS instances_by_status ON instances (runtime_status, created_time, instance_id);
CREATE TABLE IF NOT EXISTS entities (entity_id TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  target TEXT NOT NULL,
  sender TEXT,
  deliver_at INTEGER NOT NULL,
  message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_target ON messages (target, deliver_at, seq);
CREATE TABLE IF NOT EXISTS schedules (function_name TEXT PRIMARY KEY, status TEXT NOT NULL);
`;

interface MessageRow {
  seq: number;
  message: string;
}

function toMessage(row: MessageRow): Message {
  return { ...(JSON.parse(row.message) as NewMessage), seq: row.seq };
}

export class SqliteStore implements DurableStore {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly statements: {
    getInstance: Statement<[string], { record: string }>;
    putInstance: Statement<[string, string, number, string]>;
    deleteInstance: Statement<[string]>;
    getEntity: Statement<[string], { record: string }>;
    putEntity: Statement<[string, string]>;
    deleteEntity: Statement<[string]>;
    listEntities: Statement<[], { record: string }>;
    insertMessage: Statement<[string, string, string | null, number, string]>;
    getMessage: Statement<[string], MessageRow>;
    deleteMessage: Statement<[string]>;
    messagesFor: Statement<[string], MessageRow>;
    allMessages: Statement<[], MessageRow>;
    lastDelivery: Statement<[string, string], { last: number | null }>;
    getSchedule: Statement<[string], { status: string }>;
    putSchedule: Statement<[string, string]>;
  };
  private readonly queries = new Map<string, Statement<unknown[], { record: string }>>();
  /**
   * One transaction function for every step: `db.transaction(fn)` builds a new wrapper (with its deferred,
   * immediate and exclusive variants) each time it is called. Nested calls run as savepoints.
   */
  private readonly inTransaction: (fn: () => unknown) => unknown;
  private closed = false;
  /** Set by `temporary`: the data directory goes with the store. */
  private removeOnClose = false;

  /**
   * A store in a fresh temporary directory that is deleted when the store closes: for tests that want the
   * SQLite store's behaviour (serialization, durability) without a data directory of their own.
   */
  static temporary(options: SqliteStoreOptions = {}, prefix = "devhost-store-"): SqliteStore {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    const store = new SqliteStore(dir, options);
    store.removeOnClose = true;
    return store;
  }

  /** Opens (creating if need be) the store in `dataDir`; throws StoreLockedError if another host holds it. */
  constructor(
    readonly dataDir: string,
    options: SqliteStoreOptions = {},
  ) {
    fs.mkdirSync(dataDir, { recursive: true });
    this.file = path.join(dataDir, DATABASE_FILE);
    this.db = new Database(this.file, { timeout: 0 });
    try {
      this.db.pragma("locking_mode = EXCLUSIVE");
      this.db.pragma("journal_mode = WAL");
      this.db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`);
      // Takes the exclusive lock now (EXCLUSIVE mode keeps it from the first write until close).
      this.db.exec("BEGIN EXCLUSIVE; COMMIT;");
      this.db.exec(SCHEMA);
      this.checkSchemaVersion();
    } catch (err) {
      this.db.close();
      if ((err as { code?: string }).code?.startsWith("SQLITE_BUSY")) throw new StoreLockedError(dataDir);
      throw err;
    }
    const db = this.db;
    this.inTransaction = db.transaction((fn: () => unknown) => fn());
    this.statements = {
      getInstance: db.prepare("SELECT record FROM instances WHERE instance_id = ?"),
      // Upserts, not INSERT OR REPLACE: REPLACE deletes the row and inserts it again under a new rowid (at
      // the table's end), so every write changed two table pages and the key's index; an update in place
      // changes the row's page only (half the pages a commit writes to the WAL).
      putInstance: db.prepare(
        "INSERT INTO instances (instance_id, runtime_status, created_time, record) VALUES (?, ?, ?, ?) " +
          "ON CONFLICT (instance_id) DO UPDATE SET runtime_status = excluded.runtime_status, " +
          "created_time = excluded.created_time, record = excluded.record",
      ),
      deleteInstance: db.prepare("DELETE FROM instances WHERE instance_id = ?"),
      getEntity: db.prepare("SELECT record FROM entities WHERE entity_id = ?"),
      putEntity: db.prepare(
        "INSERT INTO entities (entity_id, record) VALUES (?, ?) " +
          "ON CONFLICT (entity_id) DO UPDATE SET record = excluded.record",
      ),
      deleteEntity: db.prepare("DELETE FROM entities WHERE entity_id = ?"),
      listEntities: db.prepare("SELECT record FROM entities ORDER BY entity_id"),
      insertMessage: db.prepare(
        "INSERT OR IGNORE INTO messages (id, target, sender, deliver_at, message) VALUES (?, ?, ?, ?, ?)",
      ),
      getMessage: db.prepare("SELECT seq, message FROM messages WHERE id = ?"),
      deleteMessage: db.prepare("DELETE FROM messages WHERE id = ?"),
      messagesFor: db.prepare("SELECT seq, message FROM messages WHERE target = ? ORDER BY deliver_at, seq"),
      allMessages: db.prepare("SELECT seq, message FROM messages ORDER BY deliver_at, seq"),
      lastDelivery: db.prepare(
        "SELECT max(deliver_at) AS last FROM messages WHERE target = ? AND sender = ?",
      ),
      getSchedule: db.prepare("SELECT status FROM schedules WHERE function_name = ?"),
      putSchedule: db.prepare(
        "INSERT INTO schedules (function_name, status) VALUES (?, ?) " +
          "ON CONFLICT (function_name) DO UPDATE SET status = excluded.status",
      ),
    };
  }

  getInstance(instanceId: string): InstanceRecord | undefined {
    const row = this.statements.getInstance.get(instanceId);
    return row ? (JSON.parse(row.record) as InstanceRecord) : undefined;
  }

  putInstance(record: InstanceRecord): void {
    this.statements.putInstance.run(
      record.instanceId,
      record.runtimeStatus,
      record.createdTime,
      JSON.stringify(record),
    );
  }

  deleteInstance(instanceId: string): boolean {
    return this.statements.deleteInstance.run(instanceId).changes > 0;
  }

  queryInstances(query: InstanceQuery): InstanceRecord[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.runtimeStatus && query.runtimeStatus.length > 0) {
      where.push(`runtime_status IN (${query.runtimeStatus.map(() => "?").join(", ")})`);
      params.push(...query.runtimeStatus);
    }
    if (query.createdTimeFrom !== undefined) {
      where.push("created_time >= ?");
      params.push(query.createdTimeFrom);
    }
    if (query.createdTimeTo !== undefined) {
      where.push("created_time <= ?");
      params.push(query.createdTimeTo);
    }
    if (query.instanceIdPrefix !== undefined) {
      // substr counts characters, as startsWith does (for ids without astral characters).
      where.push("substr(instance_id, 1, ?) = ?");
      params.push(query.instanceIdPrefix.length, query.instanceIdPrefix);
    }
    const sql =
      "SELECT record FROM instances" +
      (where.length > 0 ? ` WHERE ${where.join(" AND ")}` : "") +
      " ORDER BY created_time, instance_id";
    let statement = this.queries.get(sql);
    if (!statement) {
      statement = this.db.prepare<unknown[], { record: string }>(sql);
      this.queries.set(sql, statement);
    }
    return statement.all(...params).map((row) => JSON.parse(row.record) as InstanceRecord);
  }

  getEntity(entityId: string): EntityRecord | undefined {
    const row = this.statements.getEntity.get(entityId);
    return row ? (JSON.parse(row.record) as EntityRecord) : undefined;
  }

  putEntity(record: EntityRecord): void {
    this.statements.putEntity.run(record.entityId, JSON.stringify(record));
  }

  deleteEntity(entityId: string): boolean {
    return this.statements.deleteEntity.run(entityId).changes > 0;
  }

  listEntities(): EntityRecord[] {
    return this.statements.listEntities.all().map((row) => JSON.parse(row.record) as EntityRecord);
  }

  insertMessage(message: NewMessage): Message | undefined {
    const info = this.statements.insertMessage.run(
      message.id,
      message.target,
      message.from ?? null,
      message.deliverAt,
      JSON.stringify(message),
    );
    if (info.changes === 0) return undefined;
    return { ...message, seq: Number(info.lastInsertRowid) };
  }

  deleteMessage(id: string): void {
    this.statements.deleteMessage.run(id);
  }

  messagesFor(target: MessageTarget): Message[] {
    return this.statements.messagesFor.all(target).map(toMessage);
  }

  allMessages(): Message[] {
    return this.statements.allMessages.all().map(toMessage);
  }

  lastDeliveryOnRoute(from: string, target: MessageTarget): number | undefined {
    return this.statements.lastDelivery.get(target, from)?.last ?? undefined;
  }

  getScheduleStatus(functionName: string): ScheduleStatus | undefined {
    const row = this.statements.getSchedule.get(functionName);
    return row ? (JSON.parse(row.status) as ScheduleStatus) : undefined;
  }

  putScheduleStatus(functionName: string, status: ScheduleStatus): void {
    this.statements.putSchedule.run(functionName, JSON.stringify(status));
  }

  transaction<T>(fn: () => T): T {
    // better-sqlite3 nests a transaction inside another as a savepoint.
    return this.inTransaction(fn) as T;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
    if (this.removeOnClose) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  private checkSchemaVersion(): void {
    const row = this.db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'schema'").get();
    if (!row) {
      this.db.prepare("INSERT INTO meta (key, value) VALUES ('schema', ?)").run(String(SCHEMA_VERSION));
      return;
    }
    if (row.value !== String(SCHEMA_VERSION)) {
      throw new Error(
        `${this.file} holds devhost data of schema ${row.value}; this devhost reads schema ${SCHEMA_VERSION}. ` +
          `Start it with --reset to wipe the data directory.`,
      );
    }
  }
}
