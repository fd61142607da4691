import type { createWebhooksStore } from './store.js';

/** How an endpoint has fared over the last day, from its attempts log. */
export interface EndpointHealth {
  attempts: number;
  succeeded: number;
  successRatio: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  lastError: string | null;
  lastAttemptAt: string | null;
}

export const HEALTH_WINDOW_MS = 24 * 3_600_000;

/** Nearest rank: the smallest duration at least `q` of the attempts did not exceed. */
const rankOf = (q: number, n: number) => Math.max(0, Math.ceil(q * n) - 1);

export async function endpointHealth(
  store: Pick<ReturnType<typeof createWebhooksStore>, 'attemptWindow'>,
  endpointId: string,
  now = new Date(),
): Promise<EndpointHealth> {
  const window = await store.attemptWindow(endpointId, new Date(now.getTime() - HEALTH_WINDOW_MS));
  const n = window.attempts;
  const [p50Ms, p99Ms] =
    n === 0 ? [null, null] : await Promise.all([window.durationAt(rankOf(0.5, n)), window.durationAt(rankOf(0.99, n))]);
  return {
    attempts: n,
    succeeded: window.succeeded,
    successRatio: n === 0 ? null : window.succeeded / n,
    p50Ms,
    p99Ms,
    lastError: window.lastError,
    lastAttemptAt: window.lastAt,
  };
}
