import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { createHttpDurations, type HttpDurations } from './http-durations.js';
import { createRecentLatency, type RecentLatency } from './recent-latency.js';

/** The process-wide metric registry and the metrics the platform itself records. */
export interface Metrics {
  registry: Registry;
  httpRequestDuration: HttpDurations;
  /** The last five minutes of request durations per route, for the operations summary. */
  recentLatency: RecentLatency;
  /** Messages on the broker's stream that are not Orderly's, dropped by a consumer group. */
  unreadableMessages: Counter<'group'>;
  /** Broker consumers made afresh after a broker crash left them stuck. */
  recreatedConsumers: Counter<'group'>;
}

/** `build`: what runs, as the labels of orderly_build_info (always 1), so dashboards can tell versions and roles apart. */
export function createMetrics(build: { version: string; role: string; database: string; transport: string }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'orderly_build_info',
    help: 'Always 1: the version, role, database and message transport of this process',
    labelNames: ['version', 'role', 'database', 'transport', 'node'] as const,
    registers: [registry],
  }).set({ ...build, node: process.version }, 1);
  const httpRequestDuration = createHttpDurations(registry);
  const unreadableMessages = new Counter({
    name: 'orderly_messages_unreadable_total',
    help: 'Messages on the broker that are not one of Orderly’s envelopes, dropped (alert on any)',
    labelNames: ['group'] as const,
    registers: [registry],
  });
  const recreatedConsumers = new Counter({
    name: 'orderly_nats_consumers_recreated_total',
    help: 'NATS consumers made afresh because the broker left them stuck on a message it no longer has',
    labelNames: ['group'] as const,
    registers: [registry],
  });
  return { registry, httpRequestDuration, recentLatency: createRecentLatency(), unreadableMessages, recreatedConsumers };
}
