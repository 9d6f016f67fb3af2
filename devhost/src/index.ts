/**
 * durable-functions-devhost: a local Azure Functions + Durable Functions host for durable-functions 3.x apps
 * (the v4 programming model). The library API tests use; `durable-devhost` (./cli) is the command line.
 */
export { startHost, DEFAULT_SHUTDOWN_TIMEOUT_MS } from "./host";
export type { DevHost, StartHostOptions, EngineFactory } from "./host";
export { Clock } from "./clock";
export { nodeModuleLoader, setDefaultModuleLoader } from "./moduleHook";
export type { ModuleLoader } from "./moduleHook";
export { parseHostKeys, KEYS_ENV } from "./http/auth";
export type { HostKeys } from "./http/auth";
export { createDurableEngine, DEFAULT_WEBHOOK_PATH } from "./durable/engine";
export { MemoryStore } from "./durable/memoryStore";
export { SqliteStore, StoreLockedError, DATABASE_FILE } from "./durable/sqliteStore";
export type { SqliteStoreOptions, SqliteSynchronous } from "./durable/sqliteStore";
export type { DurableStore } from "./durable/store";
/** The seeded PRNG the latency injection draws from, for tests that want the same replayable randomness. */
export { mulberry32 } from "./durable/latency";
export { openDataDir, resetDataDir, defaultDataDir, DEFAULT_DATA_DIR } from "./dataDir";
export type {
  DurableEngine,
  DurableEngineOptions,
  DurableTriggerType,
  FunctionInvoker,
  LatencyOptions,
  ManagementRequest,
  ManagementResponse,
} from "./contracts";
export type { FunctionInfo } from "./functionList";
export type { RuntimeLog } from "./invoker";
