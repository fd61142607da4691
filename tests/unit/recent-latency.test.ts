import { describe, expect, it } from 'vitest';
import { createRecentLatency } from '../../src/platform/observability/recent-latency.js';

describe('recent latency per route', () => {
  it('counts every request of the window exactly, takes percentiles over the latest samples, and forgets what is older', () => {
    let now = 1_000_000;
    const latency = createRecentLatency({ windowMs: 10_000, samples: 100, now: () => now });
    expect(latency.window('GET', '/v1/products')).toEqual({ count: 0, p50Ms: null, p99Ms: null });
    // 1,000 requests over 5 s: more than the ring holds; the count stays exact.
    for (let i = 0; i < 1_000; i += 1) {
      now += 5;
      latency.record('GET', '/v1/products', i < 900 ? 1000 : (i % 100) + 1);
    }
    const recent = latency.window('GET', '/v1/products');
    expect(recent.count).toBe(1_000);
    // The ring holds the latest 100 (1..100 ms): nearest-rank p50 and p99.
    expect(recent.p50Ms).toBe(50);
    expect(recent.p99Ms).toBe(99);
    expect(latency.window('POST', '/v1/products').count).toBe(0);
    now += 10_001;
    expect(latency.window('GET', '/v1/products')).toEqual({ count: 0, p50Ms: null, p99Ms: null });
    latency.record('GET', '/v1/products', 7);
    expect(latency.window('GET', '/v1/products')).toEqual({ count: 1, p50Ms: 7, p99Ms: 7 });
  });
});
