import type { Histogram, Registry } from 'prom-client';

const NAME = 'http_request_duration_seconds';
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

interface Series {
  labels: { method: string; route: string; status_code: string };
  /** Observations per bucket, not cumulative; the last is above every bound (+Inf). */
  counts: number[];
  sum: number;
  count: number;
}

/** HTTP request latency by (method, route, status), as the histogram `http_request_duration_seconds`. */
export interface HttpDurations {
  observe(method: string, route: string, statusCode: number, seconds: number): void;
}

/**
 * Kept by hand and exported through the registry like any prom-client histogram: a prom-client
 * observation validates, sorts and hashes its labels every time, which on a cached read is a few percent
 * of the request (bench:read); here a request adds to its series, found by route, method and status.
 */
export function createHttpDurations(registry: Registry): HttpDurations {
  const series = new Map<string, Map<string, Map<number, Series>>>();
  function* everySeries(): Generator<Series> {
    for (const byMethod of series.values()) for (const byStatus of byMethod.values()) yield* byStatus.values();
  }
  const metric = {
    name: NAME,
    help: 'HTTP request latency by route and status',
    type: 'histogram',
    aggregator: 'sum',
    reset: () => series.clear(),
    async get() {
      const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
      for (const s of everySeries()) {
        let cumulative = 0;
        BUCKETS.forEach((le, i) => {
          cumulative += s.counts[i]!;
          values.push({ labels: { ...s.labels, le }, value: cumulative, metricName: `${NAME}_bucket` });
        });
        values.push({ labels: { ...s.labels, le: '+Inf' }, value: s.count, metricName: `${NAME}_bucket` });
        values.push({ labels: s.labels, value: s.sum, metricName: `${NAME}_sum` });
        values.push({ labels: s.labels, value: s.count, metricName: `${NAME}_count` });
      }
      return { name: NAME, help: metric.help, type: metric.type, values, aggregator: metric.aggregator };
    },
  };
  // The registry only reads name, help, type and get() (and reset()); its type names prom-client's classes.
  registry.registerMetric(metric as unknown as Histogram);
  return {
    observe(method, route, statusCode, seconds) {
      // Strings the request already holds and a number: a key joined per request would be a new string to hash.
      let byMethod = series.get(route);
      if (byMethod === undefined) series.set(route, (byMethod = new Map()));
      let byStatus = byMethod.get(method);
      if (byStatus === undefined) byMethod.set(method, (byStatus = new Map()));
      let s = byStatus.get(statusCode);
      if (s === undefined) {
        s = {
          labels: { method, route, status_code: String(statusCode) },
          counts: new Array<number>(BUCKETS.length + 1).fill(0),
          sum: 0,
          count: 0,
        };
        byStatus.set(statusCode, s);
      }
      let i = 0;
      while (i < BUCKETS.length && seconds > BUCKETS[i]!) i += 1;
      s.counts[i]! += 1;
      s.sum += seconds;
      s.count += 1;
    },
  };
}
