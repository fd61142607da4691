import { performance } from 'node:perf_hooks';

/**
 * Whether the HTTP edge is taking requests right now. Background work on the same event loop (the bus's
 * consumers) runs in smaller turns while it is, so a request waits behind a few deliveries rather than
 * behind a whole batch; what is accepted is durable, and the backlog is worked off at full pace after.
 */
export interface RecentRequests {
  requestStarted(): void;
  busy(): boolean;
}

export function recentRequests(windowMs = 20): RecentRequests {
  let last = Number.NEGATIVE_INFINITY;
  return {
    requestStarted() {
      last = performance.now();
    },
    busy: () => performance.now() - last < windowMs,
  };
}
