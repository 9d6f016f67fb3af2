/**
 * Starts the devhost in this process on a free loopback port with the bench fixture app (the repo's
 * compiled app plus the seed's naive starter), and captures its Durable engine for the client binding.
 * The Durable state lives in the in-memory store, or in a SQLite store in a fresh temporary data
 * directory that `stop` deletes.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  createDurableEngine,
  openDataDir,
  startHost,
  type DevHost,
  type DurableEngine,
  type DurableStore,
} from "durable-functions-devhost";
import type { HostEndpoint } from "./scenarios";

/** The repository root (this file runs as dist/bench/devhostSession.js). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** Where the host keeps its Durable state: `startHost`'s default, or SQLite (WAL) with this `synchronous`. */
export const STORE_KINDS = ["memory", "sqlite-normal", "sqlite-full"] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

export const STORE_LABELS: Record<StoreKind, string> = {
  memory: "memory",
  "sqlite-normal": "SQLite NORMAL",
  "sqlite-full": "SQLite FULL",
};

export interface DevhostSession {
  host: DevHost;
  endpoint: HostEndpoint;
  appDir: string;
  store: StoreKind;
  /** The SQLite store's temporary data directory (deleted by `stop`). */
  dataDir?: string;
  /** Bytes in the data directory (the database and its WAL) now; 0 for the in-memory store. */
  dataBytes(): number;
  /** Stops the host (which closes its store) and deletes the data directory. */
  stop(): Promise<void>;
}

export function fixtureAppDir(): string {
  return path.join(REPO_ROOT, "bench", "fixtures", "naive-app");
}

function bytesIn(dir: string | undefined): number {
  if (!dir) return 0;
  return fs.readdirSync(dir).reduce((sum, file) => sum + fs.statSync(path.join(dir, file)).size, 0);
}

export async function startDevhostSession(store: StoreKind = "memory"): Promise<DevhostSession> {
  let engine: DurableEngine | undefined;
  const appDir = fixtureAppDir();
  const dataDir = store === "memory" ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), "durable-bench-"));
  const removeDataDir = () => {
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  };
  let host: DevHost;
  try {
    const durableStore: DurableStore | undefined = dataDir
      ? openDataDir(dataDir, { synchronous: store === "sqlite-full" ? "full" : "normal" })
      : undefined;
    host = await startHost({
      appDir,
      port: 0,
      log: false,
      ...(durableStore ? { store: durableStore } : {}),
      createEngine: (options) => (engine = createDurableEngine(options)),
    });
  } catch (err) {
    removeDataDir();
    throw err;
  }
  if (!engine) {
    await host.stop();
    removeDataDir();
    throw new Error("the devhost did not build its Durable engine");
  }
  return {
    host,
    appDir,
    store,
    ...(dataDir ? { dataDir } : {}),
    endpoint: { baseUrl: host.baseUrl, clientData: engine.clientInput(host.baseUrl) },
    dataBytes: () => bytesIn(dataDir),
    stop: async () => {
      try {
        await host.stop();
      } finally {
        removeDataDir();
      }
    },
  };
}
