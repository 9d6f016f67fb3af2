/**
 * The features-app fixture on the devhost, with the SDK's own DurableClient built from the binding data the
 * host hands the app, and raw access to the management API for answers the SDK hides.
 */
import * as path from "node:path";
import type { DurableClient } from "durable-functions";
import { startHost, type DevHost, type StartHostOptions } from "../../src/host";

export const appDir = path.join(__dirname, "../fixtures/features-app");
export const HUB = "FeaturesHub";

export interface RawAnswer {
  status: number;
  headers: Headers;
  /** The body as text ("" when there is none). */
  text: string;
}

export interface Features {
  host: DevHost;
  client: DurableClient;
  /** A management API URL: `webhook("instances/x")`. */
  webhook(pathAndQuery: string): string;
  /** A request to the management API; a body goes as application/json unless headers say otherwise. */
  management(
    method: string,
    pathAndQuery: string,
    body?: string,
    headers?: Record<string, string>,
  ): Promise<RawAnswer>;
  /** The status API's `historyEvents` (showHistory, with outputs). */
  history(instanceId: string): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

export async function startFeatures(options: Partial<StartHostOptions> = {}): Promise<Features> {
  const host = await startHost({ appDir, port: 0, virtualTime: true, log: false, ...options });
  const data = (await (await fetch(`${host.baseUrl}/api/clientData`)).json()) as unknown;
  // The package does not export the class; getClient builds it from a function's binding data.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require("durable-functions/lib/src/durableClient/DurableClient") as {
    DurableClient: new (clientData: unknown) => DurableClient;
  };
  const webhook = (pathAndQuery: string) => `${host.baseUrl}/runtime/webhooks/durabletask/${pathAndQuery}`;
  const management = async (
    method: string,
    pathAndQuery: string,
    body?: string,
    headers: Record<string, string> = body === undefined ? {} : { "content-type": "application/json" },
  ): Promise<RawAnswer> => {
    const res = await fetch(webhook(pathAndQuery), { method, body, headers });
    return { status: res.status, headers: res.headers, text: await res.text() };
  };
  return {
    host,
    client: new sdk.DurableClient(data),
    webhook,
    management,
    async history(instanceId) {
      const res = await management("GET", `instances/${instanceId}?showHistory=true&showHistoryOutput=true`);
      return (JSON.parse(res.text) as { historyEvents: Record<string, unknown>[] }).historyEvents;
    },
    stop: () => host.stop(),
  };
}
