import {
  BrokenCircuitError,
  BulkheadRejectedError,
  CircuitState,
  DelegateBackoff,
  IsolatedCircuitError,
  TaskCancelledError,
  bulkhead,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  wrap,
  TimeoutStrategy,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import { WindowedBreaker, type BreakerThresholds } from './breaker.js';

export interface OutboundPolicyOptions {
  name: string;
  /** Each attempt is aborted (its request really cancelled) after this long. */
  timeoutMs: number;
  /** Delay before each retry, jittered ±20 %; its length is the number of retries. */
  retryDelaysMs: number[];
  breaker: BreakerThresholds & { halfOpenAfterMs: number };
  /** Calls in flight at once, and calls allowed to wait for a slot; more are refused at once. */
  bulkhead: { limit: number; queue: number };
  /** Only these failures are retried and count against the breaker; anything else is an answer. */
  isTransient(error: unknown): boolean;
}

export interface OutboundAttempt {
  signal: AbortSignal;
  /** 1 for the first try of this call, 2 for its first retry, and so on. */
  attempt: number;
}

export interface OutboundPolicy {
  readonly name: string;
  execute<T>(fn: (attempt: OutboundAttempt) => Promise<T>): Promise<T>;
  readonly breaker: CircuitBreakerPolicy;
  readonly breakerRule: WindowedBreaker;
  readonly bulkheadLoad: () => { executing: number; queued: number };
}

/** The call could not be made at all: the breaker is open or the bulkhead is full. */
export function isRefusedFast(error: unknown): boolean {
  return error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError || error instanceof BulkheadRejectedError;
}

export function isTimeout(error: unknown): boolean {
  return error instanceof TaskCancelledError;
}

/**
 * Timeout inside retry inside breaker inside bulkhead, as docs/architecture.md §5 orders them: every attempt is
 * bounded and aborted, transient failures are retried with growing delays, each logical call counts
 * once towards the breaker, and the bulkhead bounds how many such calls reach the dependency at once.
 */
export function createOutboundPolicy(options: OutboundPolicyOptions): OutboundPolicy {
  const breakerRule = new WindowedBreaker(options.breaker);
  const transient = (error: unknown) => options.isTransient(error) || error instanceof TaskCancelledError;
  const breaker = circuitBreaker(handleWhen(transient), { halfOpenAfter: options.breaker.halfOpenAfterMs, breaker: breakerRule });
  const delays = options.retryDelaysMs;
  const retrying = retry(handleWhen(transient), {
    maxAttempts: delays.length,
    backoff: new DelegateBackoff<{ attempt: number }>((context) =>
      Math.round(delays[Math.min(context.attempt, delays.length) - 1]! * (0.8 + Math.random() * 0.4)),
    ),
  });
  const limiter = bulkhead(options.bulkhead.limit, options.bulkhead.queue);
  const perAttempt = timeout(options.timeoutMs, TimeoutStrategy.Aggressive);
  const policy = wrap(limiter, breaker, retrying, perAttempt);

  return {
    name: options.name,
    breaker,
    breakerRule,
    bulkheadLoad: () => ({
      executing: options.bulkhead.limit - limiter.executionSlots,
      queued: options.bulkhead.queue - limiter.queueSlots,
    }),
    // A signal per call: without one cockatiel hangs every call's listener on one shared signal.
    execute: (fn) =>
      policy.execute(async (context) => {
        const { signal } = context;
        const attempt = 'attempt' in context ? (context as { attempt: number }).attempt + 1 : 1;
        return fn({ signal, attempt });
      }, new AbortController().signal),
  };
}

export type BreakerStateName = 'closed' | 'open' | 'half_open' | 'isolated';

export const BREAKER_STATE_NAMES: Record<CircuitState, BreakerStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half_open',
  [CircuitState.Isolated]: 'isolated',
};
