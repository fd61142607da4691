import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Transport } from './transport.js';

/** The bus's metrics: deliveries handled and how long they took, lag per group, and what waits or is dead. */
export function createBusMetrics(registry: Registry, transport: Transport, groups: () => Iterable<string>) {
  const handled = new Counter({
    name: 'orderly_messages_handled_total',
    help: 'Deliveries handled, by consumer group and outcome',
    labelNames: ['group', 'outcome'] as const,
    registers: [registry],
  });
  const handling = new Histogram({
    name: 'orderly_message_handling_seconds',
    help: 'Time to handle one delivery, by consumer group',
    labelNames: ['group'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const lag = new Histogram({
    name: 'orderly_message_lag_seconds',
    help: 'From a message being committed to a consumer group applying it',
    labelNames: ['group'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const batchSize = new Histogram({
    name: 'orderly_message_batch_size',
    help: 'Effects of one consumer group applied in one transaction (set-based batches)',
    labelNames: ['group'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64],
    registers: [registry],
  });
  new Gauge({
    name: 'orderly_messages_backlog',
    help: 'Deliveries waiting (pending) or dead-lettered (dead); alert on dead growing',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const counts = await transport.counts();
      this.set({ state: 'pending' }, counts.pending);
      this.set({ state: 'dead' }, counts.dead);
    },
  });
  new Gauge({
    name: 'orderly_consumer_pending',
    help: 'Messages waiting for each consumer group (on the broker, or in the queue table): its lag, in messages',
    labelNames: ['group'] as const,
    registers: [registry],
    async collect() {
      const pending = await transport.pendingByGroup();
      for (const group of groups()) this.set({ group }, pending.get(group) ?? 0);
    },
  });
  return { handled, handling, lag, batchSize };
}
