/** Retry timing for a failed delivery: exponential backoff with jitter, capped. */
export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Delay before attempt `failedAttempts + 1`: base · 2^(n-1), capped, then jittered to 50–100 % of that so
 * messages that failed together do not all come back together.
 */
export function retryDelayMs(policy: RetryPolicy, failedAttempts: number, random = Math.random): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failedAttempts - 1));
  return Math.round(exponential * (0.5 + random() * 0.5));
}

/**
 * Thrown by a handler that cannot make progress yet for a reason outside the message (a dependency is
 * down): the delivery comes back after `delayMs` without spending one of its attempts.
 */
export class DeferDelivery extends Error {
  override name = 'DeferDelivery';
  constructor(
    readonly delayMs: number,
    reason: string,
  ) {
    super(reason);
  }
}
