/**
 * Runs a scenario's starters in a worker thread, so the load generator gets its own core and the host's
 * event loop only serves the host (the bench machine has 2 cores: one for each).
 */
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { LoadWorkerData } from "./loadWorker";
import type { HostEndpoint, ScenarioName, ScenarioParams, ScenarioResult } from "./scenarios";

type WorkerReply = { ok: true; result: ScenarioResult } | { ok: false; error: string };

export function runInClientThread(
  scenario: ScenarioName,
  endpoint: HostEndpoint,
  params: ScenarioParams,
): Promise<ScenarioResult> {
  const workerData: LoadWorkerData = { scenario, endpoint, params };
  const worker = new Worker(path.join(__dirname, "loadWorker.js"), { workerData });
  return new Promise<ScenarioResult>((resolve, reject) => {
    worker.once("message", (reply: WorkerReply) => {
      if (reply.ok) resolve(reply.result);
      else reject(new Error(`scenario ${scenario} failed in the client thread: ${reply.error}`));
    });
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`client thread for ${scenario} exited with ${code}`)));
  }).finally(() => worker.terminate());
}
