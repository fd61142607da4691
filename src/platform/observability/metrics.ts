import { Registry, collectDefaultMetrics } from 'prom-client';
import { createHttpDurations, type HttpDurations } from './http-durations.js';

/** The process-wide metric registry and the metrics the platform itself records. */
export interface Metrics {
  registry: Registry;
  httpRequestDuration: HttpDurations;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpRequestDuration = createHttpDurations(registry);
  return { registry, httpRequestDuration };
}
