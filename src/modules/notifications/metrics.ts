import { Counter, Gauge, type Registry } from 'prom-client';
import { CHANNELS, type Channel } from './store.js';

export interface NotificationMetrics {
  outcome(channel: Channel, outcome: 'sent' | 'retried' | 'deferred' | 'dead_lettered'): void;
}

/**
 * Outcomes per channel, and the notifications given up on. Alert on the latter growing, e.g.
 * `increase(orderly_notifications_dead_lettered_total[15m]) > 0`.
 */
export function createNotificationsMetrics(registry: Registry, failedByChannel: () => Promise<Map<Channel, number>>): NotificationMetrics {
  const outcomes = new Counter({
    name: 'orderly_notifications_total',
    help: 'Notification sends by channel and outcome',
    labelNames: ['channel', 'outcome'] as const,
    registers: [registry],
  });
  const dead = new Counter({
    name: 'orderly_notifications_dead_lettered_total',
    help: 'Notifications that exhausted their retries; alert when it grows',
    labelNames: ['channel'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'orderly_notifications_failed',
    help: 'Notifications dead-lettered and not yet sent by a redrive',
    labelNames: ['channel'] as const,
    registers: [registry],
    async collect() {
      const counts = await failedByChannel();
      for (const channel of CHANNELS) this.set({ channel }, counts.get(channel) ?? 0);
    },
  });
  return {
    outcome(channel, outcome) {
      outcomes.inc({ channel, outcome });
      if (outcome === 'dead_lettered') dead.inc({ channel });
    },
  };
}
