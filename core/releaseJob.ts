/**
 * What the admin release endpoint does: signal `release` to the job's entity, wait until it is applied
 * (by reading entity state with back-off), and start the queued request the release promoted, if any.
 */
import { delays } from "./backoff";
import { startPromotedRun, type CoordinatorClient, type StartOptions } from "./startJob";
import type { ActiveRun } from "./types";

export type ReleaseOutcome =
  | { kind: "unknownJob" }
  | { kind: "notHeld" }
  | { kind: "released"; released: ActiveRun; promoted?: ActiveRun }
  | { kind: "timeout" };

export async function releaseJob(
  client: CoordinatorClient,
  job: string,
  reason: string,
  options: StartOptions,
): Promise<ReleaseOutcome> {
  const before = await client.readState(job);
  if (!before) return { kind: "unknownJob" };
  const held = before.active;
  if (!held) return { kind: "notHeld" };
  await client.signal(job, "release", { reason });
  for (const delay of delays(options.waitBudgetMs, options.poll)) {
    const state = await client.readState(job);
    if (state && state.counters.released > before.counters.released) {
      const promoted = await startPromotedRun(client, state);
      return promoted ? { kind: "released", released: held, promoted } : { kind: "released", released: held };
    }
    await client.sleep(delay);
  }
  return { kind: "timeout" };
}
