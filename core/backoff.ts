/** Exponential back-off for polling a Durable read (entity state, instance status). */
export interface BackoffOptions {
  /** First wait, in ms (about a millisecond locally; raise it on Azure, where each read hits storage). */
  initialMs: number;
  /** Ceiling for one wait, in ms. */
  maxMs: number;
  factor: number;
}

export function nextDelay(previousMs: number | undefined, options: BackoffOptions): number {
  if (previousMs === undefined) return options.initialMs;
  return Math.min(options.maxMs, Math.max(options.initialMs, previousMs * options.factor));
}

/** Yields the successive delays until their sum reaches `budgetMs`. */
export function* delays(budgetMs: number, options: BackoffOptions): Generator<number> {
  let spent = 0;
  let delay: number | undefined;
  while (spent < budgetMs) {
    delay = Math.min(nextDelay(delay, options), budgetMs - spent);
    spent += delay;
    yield delay;
  }
}
