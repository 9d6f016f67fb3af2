/**
 * The stores the devhost's tests run on. DEVHOST_TEST_STORE (set by the jest projects in ../../jest.config.js)
 * picks the one the durable engine tests use: "memory" (default), "copying" or "sqlite" (a fresh temporary
 * data directory per store, removed when the store closes: `SqliteStore.temporary`).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MemoryStore } from "../../src/durable/memoryStore";
import { SqliteStore } from "../../src/durable/sqliteStore";
import type { DurableStore } from "../../src/durable/store";
import { CopyingStore } from "./copyingStore";

export const STORE_KINDS = ["memory", "copying", "sqlite"] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

export function tempDataDir(prefix = "devhost-store-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function createTestStore(kind: StoreKind): DurableStore {
  switch (kind) {
    case "memory":
      return new MemoryStore();
    case "copying":
      return new CopyingStore();
    case "sqlite":
      return SqliteStore.temporary();
  }
}

/** The store kind this jest project runs the engine tests on. */
export function testStoreKind(): StoreKind {
  const kind = process.env.DEVHOST_TEST_STORE ?? "memory";
  if (!(STORE_KINDS as readonly string[]).includes(kind))
    throw new Error(`DEVHOST_TEST_STORE: unknown "${kind}"`);
  return kind as StoreKind;
}
