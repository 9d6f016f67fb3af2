/**
 * The seed's singleton starter (Durable docs, "Singleton orchestrators"): check `getStatus(instanceId)`,
 * then `startNew`. The baseline the coordinator is compared with. The JavaScript SDK 3.x throws on a 404
 * instead of returning undefined, so "not found" is the 404 error here.
 */
import type { DurableClient } from "durable-functions";

/** `started`; `exists` (the seed's 409); `lostRace`: saw no instance, but its startNew was refused. */
export type NaiveOutcome = "started" | "exists" | "lostRace";

function isNotFound(error: unknown): boolean {
  return /HTTP 404/.test((error as Error)?.message ?? "");
}

export async function naiveCheckThenStart(
  client: DurableClient,
  orchestrator: string,
  instanceId: string,
  input: unknown,
): Promise<NaiveOutcome> {
  try {
    await client.getStatus(instanceId);
    return "exists";
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  try {
    await client.startNew(orchestrator, { instanceId, input });
    return "started";
  } catch (error) {
    // host.json's overridableExistingInstanceStates=NonRunningStates refuses the racing second start.
    if (/409|already exists/.test((error as Error)?.message ?? "")) return "lostRace";
    throw error;
  }
}
