/**
 * The capabilities exchange of worker start-up: after loading the app, the Node worker asks the programming model
 * to add its own capabilities to the worker's (nodejs-worker `src/eventHandlers/WorkerInitHandler.ts` and
 * `getWorkerCapabilities.ts`). @azure/functions 4.3+ locks `app.setup()` there and, with `enableHttpStream`,
 * starts its HTTP proxy server and reports its address as `HttpUri`.
 *
 * That proxy server is module state of the library with no way to close it; the devhost notes the server the
 * library creates during the call so that stopping the host closes it (else it would keep the process alive).
 */
// The module object itself (not an ES namespace copy), so that a temporary wrapper is seen by the library.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import httpModule = require("node:http");
import type { FunctionRegistry, WorkerCapabilities } from "./functionsCore";

/** What the Node worker itself declares (nodejs-worker `src/eventHandlers/getWorkerCapabilities.ts`). */
export const NODE_WORKER_CAPABILITIES: Readonly<WorkerCapabilities> = {
  RawHttpBodyBytes: "true",
  RpcHttpTriggerMetadataRemoved: "true",
  RpcHttpBodyOnly: "true",
  IgnoreEmptyValuedRpcHttpHeaders: "true",
  UseNullableValueDictionaryForHttp: "true",
  WorkerStatus: "true",
  TypedDataCollection: "true",
  HandlesWorkerTerminateMessage: "true",
};

export interface WorkerStartup {
  capabilities: WorkerCapabilities;
  /** Closes what the programming model started (its HTTP streaming proxy). */
  close(): Promise<void>;
}

function closeServer(server: httpModule.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function negotiateCapabilities(registry: FunctionRegistry): Promise<WorkerStartup> {
  const model = registry.findProgrammingModel();
  const servers: httpModule.Server[] = [];
  let capabilities: WorkerCapabilities = { ...NODE_WORKER_CAPABILITIES };
  if (model?.getCapabilities) {
    const createServer = httpModule.createServer;
    // The library creates its proxy server synchronously inside the call, before its first await.
    httpModule.createServer = ((...args: Parameters<typeof createServer>) => {
      const server = createServer(...args);
      servers.push(server);
      return server;
    }) as typeof createServer;
    let pending: WorkerCapabilities | Promise<WorkerCapabilities>;
    try {
      pending = model.getCapabilities(capabilities);
    } finally {
      httpModule.createServer = createServer;
    }
    capabilities = { ...(await pending) };
  }
  return {
    capabilities,
    close: async () => {
      await Promise.all(servers.map(closeServer));
    },
  };
}

/** The worker's HTTP streaming proxy address, when the app enabled HTTP streaming. */
export function httpStreamUri(capabilities: WorkerCapabilities): URL | undefined {
  const uri = capabilities.HttpUri;
  return uri ? new URL(uri) : undefined;
}
