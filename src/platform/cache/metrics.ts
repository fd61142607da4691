import { Counter, Gauge, type Registry } from 'prom-client';

/** `coalesced`: a miss that joined a load already under way (single-flight). */
export type CacheResult = 'l1_hit' | 'l2_hit' | 'coalesced' | 'miss';

/** Hits, misses and loads per cache, and the hit ratio they make. */
export interface CacheMetrics {
  count(cache: string, result: CacheResult): void;
  /** One call of the loader: a database read. */
  loaded(cache: string): void;
  sharedFailure(cache: string): void;
}

export function createCacheMetrics(registry: Registry): CacheMetrics {
  const totals = new Map<string, { hits: number; all: number }>();
  const requests = new Counter({ name: 'orderly_cache_requests_total', help: 'Cache lookups by result: l1_hit, l2_hit, coalesced (joined a load in flight) or miss', labelNames: ['cache', 'result'] as const, registers: [registry] });
  const loads = new Counter({ name: 'orderly_cache_loads_total', help: 'Loader calls (database reads) behind each cache; single-flight makes a stampede one', labelNames: ['cache'] as const, registers: [registry] });
  const failures = new Counter({ name: 'orderly_cache_shared_failures_total', help: 'Shared-layer (Redis) calls that failed or timed out; the cache went to the database instead', labelNames: ['cache'] as const, registers: [registry] });
  new Gauge({
    name: 'orderly_cache_hit_ratio', help: 'Hits (either layer) over lookups since start', labelNames: ['cache'] as const, registers: [registry],
    collect() {
      for (const [cache, t] of totals) this.set({ cache }, t.all === 0 ? 0 : t.hits / t.all);
    },
  });
  return {
    count(cache, result) {
      requests.inc({ cache, result });
      let t = totals.get(cache);
      if (!t) totals.set(cache, (t = { hits: 0, all: 0 }));
      t.all += 1;
      if (result !== 'miss') t.hits += 1;
    },
    loaded: (cache) => loads.inc({ cache }),
    sharedFailure: (cache) => failures.inc({ cache }),
  };
}
