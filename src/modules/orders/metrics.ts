import { Counter, Histogram, type Registry } from 'prom-client';

/** Orders by outcome, and how long placing → confirmed or cancelled took. */
export interface OrderMetrics {
  completed(outcome: 'confirmed' | 'cancelled', reason: string | null, placedAt: string): void;
}

export function createOrdersMetrics(registry: Registry): OrderMetrics {
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
  return {
    completed(outcome, reason, placedAt) {
      outcomes.inc({ outcome, reason: reason ?? '' });
      duration.observe({ outcome }, (Date.now() - Date.parse(placedAt)) / 1000);
    },
  };
}
