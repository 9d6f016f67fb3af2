/**
 * Reads a job's entity state with back-off until a condition holds, within one budget shared by every
 * wait of a starter invocation (so a start that reconciles and retries still answers within the budget).
 * The budget is wall-clock time from the first wait, reads included: under a storm the reads themselves
 * queue, and a starter must still answer in time.
 */
import { delays } from "./backoff";
import type { CoordinatorClient, WaitOptions } from "./coordinatorClient";
import type { JobState } from "./types";

export class Waiter {
  private readonly waits: Generator<number>;
  private deadline: number | undefined;

  constructor(
    private readonly client: CoordinatorClient,
    private readonly job: string,
    private readonly options: WaitOptions,
  ) {
    this.waits = delays(options.waitBudgetMs, options.poll);
  }

  /** The first state read for which `done` holds, or undefined once the budget is spent. */
  async until(done: (state: JobState) => boolean): Promise<JobState | undefined> {
    this.deadline ??= this.client.now() + this.options.waitBudgetMs;
    for (;;) {
      const state = await this.client.readState(this.job);
      if (state && done(state)) return state;
      const left = this.deadline - this.client.now();
      const wait = this.waits.next();
      if (wait.done || left <= 0) return undefined;
      await this.client.sleep(Math.min(wait.value, left));
    }
  }

  /**
   * Waits while the standing answer `standingOn` gives names a run that waits for its start by another party
   * (`awaitingStartUntil`: that party may have died), that is until the run confirms or its lease ends. The
   * state it settled on, or undefined once the budget is spent.
   */
  untilStartSettles(
    standingOn: (state: JobState) => { awaitingStartUntil?: number } | undefined,
  ): Promise<JobState | undefined> {
    return this.until((state) => standingOn(state)?.awaitingStartUntil === undefined);
  }
}
