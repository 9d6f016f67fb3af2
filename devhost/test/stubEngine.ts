/** A stand-in Durable engine for the runtime's own tests: records what the runtime hands it. */
import type { DurableEngine, DurableEngineOptions, ManagementRequest } from "../src/contracts";

export interface StubEngine extends DurableEngine {
  options?: DurableEngineOptions;
  requests: ManagementRequest[];
  stopped: boolean;
  /** Makes the engine report busy until the returned function is called. */
  hold(): () => void;
}

export function createStubEngine(): {
  engine: StubEngine;
  factory: (o: DurableEngineOptions) => DurableEngine;
} {
  let busy = 0;
  let waiters: (() => void)[] = [];
  const engine: StubEngine = {
    requests: [],
    stopped: false,
    async handleManagement(req) {
      engine.requests.push(req);
      return {
        status: 202,
        headers: { "x-stub": "1" },
        body: { method: req.method, path: req.path, body: req.body },
      };
    },
    clientInput(origin) {
      const base = `${origin}/runtime/webhooks/durabletask`;
      return {
        taskHubName: engine.options?.hubName,
        creationUrls: { createNewInstancePostUri: `${base}/orchestrators/{functionName}` },
        managementUrls: { id: "INSTANCEID", statusQueryGetUri: `${base}/instances/INSTANCEID` },
        baseUrl: base,
        requiredQueryStringParameters: "",
        rpcBaseUrl: `${origin}/rpc/durabletask/`,
      };
    },
    isIdle: () => busy === 0,
    whenIdle: () => (busy === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve))),
    async stop() {
      engine.stopped = true;
    },
    hold() {
      busy++;
      return () => {
        if (--busy === 0) {
          const w = waiters;
          waiters = [];
          w.forEach((resolve) => resolve());
        }
      };
    },
  };
  return {
    engine,
    factory: (options) => {
      engine.options = options;
      return engine;
    },
  };
}
