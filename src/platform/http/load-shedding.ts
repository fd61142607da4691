import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { onRequestHookHandler } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import { platformErrors } from './errors.js';

/** Who keeps being served longest as load grows: a sale in progress first, browsing and extras last. */
export const PRIORITIES = ['checkout', 'orders', 'login', 'browse', 'recommendations'] as const;
export type Priority = (typeof PRIORITIES)[number];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Shedding class; by default `browse` for reads and `orders` for writes under /v1. `never` is for operators' routes. */
    priority?: Priority | 'never';
    /** Long-lived responses (event streams) are not counted as work in flight. */
    longLived?: boolean;
  }
}

/**
 * Share of the in-flight bound up to which each class is admitted, and the multiple of the lag limit
 * it tolerates: the lowest priorities go first, checkout only when the hard bound is reached.
 */
const ADMISSION: Record<Priority, { inFlightShare: number; lagFactor: number }> = {
  checkout: { inFlightShare: 1, lagFactor: Number.POSITIVE_INFINITY },
  orders: { inFlightShare: 0.9, lagFactor: 4 },
  login: { inFlightShare: 0.8, lagFactor: 2 },
  browse: { inFlightShare: 0.7, lagFactor: 1 },
  recommendations: { inFlightShare: 0.5, lagFactor: 0.5 },
};

export interface LoadView {
  /** max(in-flight / bound, lag / limit): 1 means only checkout is still admitted. */
  pressure: number;
  inFlight: number;
  eventLoopDelayMs: number;
  shedding: Priority[];
}

/** The load view with the shedder's settings and its count of refusals, for operators. */
export interface ShedderState extends LoadView {
  enabled: boolean;
  /** The in-flight bound; null when shedding is off. */
  limit: number | null;
  lagLimitMs: number | null;
  /** Requests refused with 503 since start, by priority and in all. */
  shed: number;
  shedByPriority: Record<Priority, number>;
}

export interface LoadShedder {
  hook(priority: Priority, longLived: boolean): onRequestHookHandler;
  view(): LoadView;
  state(): ShedderState;
  stop(): void;
}

const SAMPLE_MS = 250;
const RESOLUTION_MS = 10;
const LAG_NEEDS_IN_FLIGHT = 8;

/**
 * Priority load shedding on two signals: requests in flight (work queued inside this process) and
 * event-loop delay (CPU saturation). A shed request costs almost nothing: 503 `unavailable` with
 * Retry-After before its body is even read.
 */
export function createLoadShedder(options: { enabled: boolean; maxInFlight: number; lagMs: number; registry: Registry }): LoadShedder {
  let inFlight = 0;
  let lagMs = 0;
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  delay.enable();
  // The longest stall of each short window, taken over two windows in a row: one long garbage collection
  // should not shed, a loop that keeps stalling should. (Percentiles undercount stalls: a stalled loop
  // takes fewer samples.)
  let previousStall = 0;
  const sampler = setInterval(() => {
    const stall = delay.count > 0 ? Math.max(0, delay.max / 1e6 - RESOLUTION_MS) : 0;
    lagMs = Math.min(stall, previousStall);
    previousStall = stall;
    delay.reset();
  }, SAMPLE_MS).unref();

  const shed = new Counter({
    name: 'orderly_requests_shed_total',
    help: 'Requests refused with 503 under overload, by priority',
    labelNames: ['priority'] as const,
    registers: [options.registry],
  });
  new Gauge({
    name: 'orderly_requests_in_flight',
    help: 'Requests being handled (event streams excluded)',
    registers: [options.registry],
    collect() {
      this.set(inFlight);
    },
  });
  new Gauge({
    name: 'orderly_event_loop_delay_ms',
    help: 'Event-loop stall: the longest in each of the last two sample windows, whichever is shorter',
    registers: [options.registry],
    collect() {
      this.set(lagMs);
    },
  });

  // A slow loop with almost nothing in flight is start-up or a GC pause, not overload: refusing the
  // odd request would not help it, so delay counts only once requests are piling up.
  const piling = () => inFlight >= LAG_NEEDS_IN_FLIGHT;
  const admits = (priority: Priority) => {
    const rule = ADMISSION[priority];
    return inFlight < options.maxInFlight * rule.inFlightShare && (!piling() || lagMs < options.lagMs * rule.lagFactor);
  };

  // Kept beside the counter: reading a prom-client counter back is asynchronous.
  const refused: Record<Priority, number> = { checkout: 0, orders: 0, login: 0, browse: 0, recommendations: 0 };

  // One listener for every request (a response closes once), not a closure per request.
  const settled = () => {
    inFlight -= 1;
  };

  function view(): LoadView {
    const pressure = Math.max(inFlight / options.maxInFlight, piling() ? lagMs / options.lagMs : 0);
    return {
      pressure: Math.round(pressure * 100) / 100,
      inFlight,
      eventLoopDelayMs: Math.round(lagMs * 10) / 10,
      shedding: options.enabled ? PRIORITIES.filter((p) => !admits(p)) : [],
    };
  }

  return {
    hook(priority, longLived) {
      return (_request, reply, done) => {
        if (options.enabled && !admits(priority)) {
          shed.inc({ priority });
          refused[priority] += 1;
          const retryAfter = priority === 'checkout' ? 1 : 2;
          done(
            platformErrors.error('unavailable', `The service is overloaded; ${priority} requests are paused. Try again shortly.`, {
              headers: { 'retry-after': String(retryAfter) },
            }),
          );
          return;
        }
        if (!longLived) {
          inFlight += 1;
          reply.raw.on('close', settled);
        }
        done();
      };
    },
    view,
    state() {
      return {
        ...view(),
        enabled: options.enabled,
        limit: options.enabled ? options.maxInFlight : null,
        lagLimitMs: options.enabled ? options.lagMs : null,
        shed: PRIORITIES.reduce((sum, p) => sum + refused[p], 0),
        shedByPriority: { ...refused },
      };
    },
    stop() {
      clearInterval(sampler);
      delay.disable();
    },
  };
}
