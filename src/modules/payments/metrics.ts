import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../../platform/observability/logger.js';

export type PaymentOutcome = 'succeeded' | 'declined' | 'failed';

/** What became of each charge: counted by outcome and reason, and logged with its order. */
export interface PaymentMetrics {
  charged(orderId: string, attempt: number, outcome: PaymentOutcome, reason: string | null): void;
}

export function createPaymentsMetrics(registry: Registry, logger: Logger): PaymentMetrics {
  const outcomes = new Counter({
    name: 'orderly_payment_outcomes_total',
    help: 'Charges by outcome (succeeded, declined, failed) and reason (the decline code, or provider_unavailable)',
    labelNames: ['outcome', 'reason'] as const,
    registers: [registry],
  });
  return {
    charged(orderId, attempt, outcome, reason) {
      outcomes.inc({ outcome, reason: reason ?? '' });
      const line = { orderId, step: 'charge', attempt, outcome, reason };
      if (outcome === 'succeeded') logger.info(line, 'payment succeeded');
      else logger.warn(line, `payment ${outcome}`);
    },
  };
}
