/**
 * Reads a job's entity state with back-off until a condition holds, within one budget shared by every
 * wait of a starter invocation (so a start that reconciles and retries still answers within the budget).
 */
import { delays } from "./backoff";
import type { CoordinatorClient, WaitOptions } from "./coordinatorClient";
import type { JobState } from "./types";

export class Waiter {
  private readonly waits: Generator<number>;

  constructor(
    private readonly client: CoordinatorClient,
    private readonly job: string,
    options: WaitOptions,
  ) {
    this.waits = delays(options.waitBudgetMs, options.poll);
  }

  /** The first state read for which `done` holds, or undefined once the budget is spent. */
  async until(done: (state: JobState) => boolean): Promise<JobState | undefined> {
    for (;;) {
      const state = await this.client.readState(this.job);
      if (state && done(state)) return state;
      const wait = this.waits.next();
      if (wait.done) return undefined;
      await this.client.sleep(wait.value);
    }
  }
}
