import { Counter, Gauge, type Registry } from 'prom-client';
import { ordersErrors } from './errors.js';

/**
 * Checkout's admission control. Accepting orders faster than the saga finishes them only grows a queue, and
 * every order in it waits longer: past `maxBacklog` orders accepted and not yet finished, a new one is
 * refused with 503 and Retry-After, so what is accepted finishes in bounded time and the client comes back.
 * The backlog is counted at most every `refreshMs` (one count on the status index), plus what this process
 * accepted since, so a burst between two counts is seen at once.
 */
export interface Admission {
  /** Throws checkout_busy (503, Retry-After) when the backlog is full. */
  admit(): Promise<void>;
  accepted(): void;
}

export function createAdmission(options: {
  maxBacklog: number;
  refreshMs: number;
  retryAfterSeconds: number;
  countUnfinished: () => Promise<number>;
  registry: Registry;
}): Admission {
  let counted = 0;
  let acceptedSince = 0;
  let countedAt = Number.NEGATIVE_INFINITY;
  let counting: Promise<void> | null = null;
  const refused = new Counter({
    name: 'orderly_checkout_refused_total',
    help: 'Orders refused with 503 because the backlog of unfinished orders was full (ORDERLY_CHECKOUT_MAX_BACKLOG)',
    registers: [options.registry],
  });
  new Gauge({
    name: 'orderly_checkout_backlog',
    help: 'Orders accepted and not yet confirmed or cancelled, as admission control last counted them',
    registers: [options.registry],
    collect() {
      this.set(counted + acceptedSince);
    },
  });

  async function count(): Promise<void> {
    const since = acceptedSince;
    const unfinished = await options.countUnfinished();
    // Orders accepted while the count ran may or may not be in it; counting them twice errs on the safe side.
    acceptedSince -= since;
    counted = unfinished;
    countedAt = Date.now();
  }

  return {
    async admit() {
      if (options.maxBacklog === 0) return;
      if (Date.now() - countedAt >= options.refreshMs) await (counting ??= count().finally(() => (counting = null)));
      if (counted + acceptedSince < options.maxBacklog) return;
      refused.inc();
      throw ordersErrors.error(
        'checkout_busy',
        `${counted + acceptedSince} orders are still being completed; try again in ${options.retryAfterSeconds} s`,
        { headers: { 'retry-after': String(options.retryAfterSeconds) } },
      );
    },
    accepted() {
      acceptedSince += 1;
    },
  };
}
