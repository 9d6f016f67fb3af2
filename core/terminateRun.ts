/**
 * Terminating a replaced or released run before the next run's user code: Durable's terminate only queues
 * the termination, and the run's current episode still finishes (and may run user code) before it applies. So
 * the terminating party waits, with back-off, until the run is no longer live; only then is the job's user code
 * known to be quiet. A run still live after the budget is an error: the hand-over activity fails and is
 * retried (and the next run keeps waiting), rather than letting two runs' code overlap.
 */
import { delays } from "./backoff";
import { LIVE_STATUSES, type CoordinatorClient, type WaitOptions } from "./coordinatorClient";

export async function terminateAndWait(
  client: Pick<CoordinatorClient, "terminate" | "instance" | "sleep">,
  instanceId: string,
  reason: string,
  options: WaitOptions,
): Promise<void> {
  await client.terminate(instanceId, reason);
  const waits = delays(options.waitBudgetMs, options.poll);
  for (;;) {
    const { status } = await client.instance(instanceId);
    if (!LIVE_STATUSES.has(status)) return;
    const wait = waits.next();
    if (wait.done) {
      throw new Error(
        `Instance '${instanceId}' is still ${status} ${options.waitBudgetMs} ms after its termination was requested.`,
      );
    }
    await client.sleep(wait.value);
  }
}
