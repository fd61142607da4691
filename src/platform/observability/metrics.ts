import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { createHttpDurations, type HttpDurations } from './http-durations.js';

/** The process-wide metric registry and the metrics the platform itself records. */
export interface Metrics {
  registry: Registry;
  httpRequestDuration: HttpDurations;
  /** Messages on the broker's stream that are not Orderly's, dropped by a consumer group. */
  unreadableMessages: Counter<'group'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpRequestDuration = createHttpDurations(registry);
  const unreadableMessages = new Counter({
    name: 'orderly_messages_unreadable_total',
    help: 'Messages on the broker that are not one of Orderly’s envelopes, dropped (alert on any)',
    labelNames: ['group'] as const,
    registers: [registry],
  });
  return { registry, httpRequestDuration, unreadableMessages };
}
