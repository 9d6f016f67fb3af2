import type { RetryPolicy } from "./store";

/** Reads the SDK's RetryOptions as it arrives in a *WithRetry action (missing fields take DurableTask defaults). */
export function retryPolicyFrom(raw: unknown): RetryPolicy {
  const o = (raw ?? {}) as Record<string, unknown>;
  const num = (v: unknown, dflt: number): number => (typeof v === "number" && Number.isFinite(v) ? v : dflt);
  return {
    firstRetryIntervalInMilliseconds: num(o.firstRetryIntervalInMilliseconds, 1000),
    maxNumberOfAttempts: num(o.maxNumberOfAttempts, 1),
    backoffCoefficient: num(o.backoffCoefficient, 1),
    maxRetryIntervalInMilliseconds: num(o.maxRetryIntervalInMilliseconds, Number.MAX_SAFE_INTEGER),
    retryTimeoutInMilliseconds: num(o.retryTimeoutInMilliseconds, Number.MAX_SAFE_INTEGER),
  };
}

/**
 * Delay before the next attempt after failed attempt number `failedAttempt` (1-based), as DurableTask's
 * RetryInterceptor computes it: first * coefficient^(attempt-1), capped by the max interval. Returns
 * undefined once the retry timeout (measured from the first attempt) has passed.
 */
export function nextRetryDelay(
  policy: RetryPolicy,
  failedAttempt: number,
  firstAttemptAt: number,
  now: number,
) {
  if (policy.retryTimeoutInMilliseconds > 0 && now >= firstAttemptAt + policy.retryTimeoutInMilliseconds)
    return undefined;
  const delay =
    policy.firstRetryIntervalInMilliseconds * Math.pow(policy.backoffCoefficient, failedAttempt - 1);
  return Math.max(0, Math.min(delay, policy.maxRetryIntervalInMilliseconds));
}
