/**
 * Starts the devhost in this process on a free loopback port with the bench fixture app (the repo's
 * compiled app plus the seed's naive starter), and captures its Durable engine for the client binding.
 */
import * as path from "node:path";
import { createDurableEngine, startHost, type DevHost, type DurableEngine } from "durable-functions-devhost";
import type { HostEndpoint } from "./scenarios";

/** The repository root (this file runs as dist/bench/devhostSession.js). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

export interface DevhostSession {
  host: DevHost;
  endpoint: HostEndpoint;
  appDir: string;
}

export function fixtureAppDir(): string {
  return path.join(REPO_ROOT, "bench", "fixtures", "naive-app");
}

export async function startDevhostSession(): Promise<DevhostSession> {
  let engine: DurableEngine | undefined;
  const appDir = fixtureAppDir();
  const host = await startHost({
    appDir,
    port: 0,
    log: false,
    createEngine: (options) => (engine = createDurableEngine(options)),
  });
  if (!engine) throw new Error("the devhost did not build its Durable engine");
  return { host, appDir, endpoint: { baseUrl: host.baseUrl, clientData: engine.clientInput(host.baseUrl) } };
}
