import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** One saga transition: the step left, how long the saga was in it, and what the event made of it. */
export interface SagaTransition {
  orderId: string;
  step: string;
  to: string;
  event: string;
  attempt: number;
  outcome: 'ok' | 'compensating' | 'cancelled';
  reason: string | null;
  seconds: number;
}

/** Orders by outcome, how long placing → confirmed or cancelled took, and how long each saga step took. */
export interface OrderMetrics {
  completed(outcome: 'confirmed' | 'cancelled', reason: string | null, placedAt: string): void;
  stepped(transition: SagaTransition): void;
}

/** `oldestPending`: when the oldest order still pending was placed (null when none is), read when scraped. */
export function createOrdersMetrics(registry: Registry, oldestPending: () => Promise<string | null>): OrderMetrics {
  new Gauge({
    name: 'orderly_orders_pending_oldest_seconds',
    help: 'Age of the oldest order still pending (0 when none is); alert when it passes the reservation TTL',
    registers: [registry],
    async collect() {
      const placedAt = await oldestPending();
      this.set(placedAt === null ? 0 : Math.max(0, (Date.now() - Date.parse(placedAt)) / 1000));
    },
  });
  const outcomes = new Counter({
    name: 'orderly_orders_completed_total',
    help: 'Orders that reached confirmed or cancelled, by outcome and cancellation reason',
    labelNames: ['outcome', 'reason'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'orderly_order_completion_seconds',
    help: 'From POST /v1/orders to confirmed or cancelled',
    labelNames: ['outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const steps = new Histogram({
    name: 'orderly_saga_step_seconds',
    help: 'How long a saga waited in a step for its answer, by step and outcome (ok, compensating, cancelled)',
    labelNames: ['step', 'outcome'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  return {
    stepped(t) {
      steps.observe({ step: t.step, outcome: t.outcome }, t.seconds);
    },
    completed(outcome, reason, placedAt) {
      outcomes.inc({ outcome, reason: reason ?? '' });
      duration.observe({ outcome }, (Date.now() - Date.parse(placedAt)) / 1000);
    },
  };
}
