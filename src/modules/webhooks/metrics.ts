import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface WebhookMetrics {
  attempt(outcome: 'succeeded' | 'failed', durationMs: number, endpointId: string): void;
  /** From the event being committed to a receiver acknowledging it. */
  delivered(occurredAt: string): void;
  deadLettered(): void;
  disabled(reason: 'gone' | 'failing'): void;
}

/** Endpoints with a label of their own: a shop with thousands of endpoints must not make thousands of series. */
const ENDPOINT_LABELS = 50;

export function createWebhooksMetrics(registry: Registry, load: () => { inFlight: number; queued: number }): WebhookMetrics {
  const attempts = new Counter({
    name: 'orderly_webhook_attempts_total',
    help: 'Webhook delivery attempts by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const attemptSeconds = new Histogram({
    name: 'orderly_webhook_attempt_seconds',
    help: 'Duration of one webhook attempt',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'orderly_webhook_delivery_seconds',
    help: 'From an event being committed to a receiver acknowledging it',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 30, 300, 3600],
    registers: [registry],
  });
  const dead = new Counter({
    name: 'orderly_webhook_dead_lettered_total',
    help: 'Webhook deliveries that exhausted their retries; alert when it grows',
    registers: [registry],
  });
  const disabled = new Counter({
    name: 'orderly_webhook_endpoints_disabled_total',
    help: 'Endpoints disabled, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'orderly_webhook_deliveries_active',
    help: 'Webhook deliveries in flight (state=in_flight: handed to the sender, on the wire or waiting for a connection) and claimed, waiting for an endpoint slot (state=queued)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const now = load();
      this.set({ state: 'in_flight' }, now.inFlight);
      this.set({ state: 'queued' }, now.queued);
    },
  });
  const perEndpoint = new Counter({
    name: 'orderly_webhook_endpoint_attempts_total',
    help: `Webhook attempts by endpoint and outcome, for each endpoint's success ratio; endpoints after the first ${ENDPOINT_LABELS} seen count as endpoint="other"`,
    labelNames: ['endpoint', 'outcome'] as const,
    registers: [registry],
  });
  const labelled = new Set<string>();
  function endpointLabel(id: string): string {
    if (labelled.has(id)) return id;
    if (labelled.size >= ENDPOINT_LABELS) return 'other';
    labelled.add(id);
    return id;
  }
  return {
    attempt(outcome, durationMs, endpointId) {
      attempts.inc({ outcome });
      perEndpoint.inc({ endpoint: endpointLabel(endpointId), outcome });
      attemptSeconds.observe(durationMs / 1000);
    },
    delivered: (occurredAt) => latency.observe(Math.max(0, Date.now() - Date.parse(occurredAt)) / 1000),
    deadLettered: () => dead.inc(),
    disabled: (reason) => disabled.inc({ reason }),
  };
}
