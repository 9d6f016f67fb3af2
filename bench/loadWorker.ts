/** Worker-thread entry: runs one scenario against the host in the main thread and posts the result. */
import { parentPort, workerData } from "node:worker_threads";
import { runScenario, type HostEndpoint, type ScenarioName, type ScenarioParams } from "./scenarios";

export interface LoadWorkerData {
  scenario: ScenarioName;
  endpoint: HostEndpoint;
  params: ScenarioParams;
}

const data = workerData as LoadWorkerData;
runScenario(data.scenario, data.endpoint, data.params).then(
  (result) => parentPort?.postMessage({ ok: true, result }),
  (error: unknown) => parentPort?.postMessage({ ok: false, error: (error as Error)?.stack ?? String(error) }),
);
