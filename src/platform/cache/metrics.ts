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
  // Lookups are counted in plain numbers and handed to prom-client when scraped: a labelled inc() per
  // lookup hashes its labels, which on a cached read shows in the profile.
  const lookups = new Map<string, { cache: string; result: CacheResult; n: number }>();
  const totals = new Map<string, { hits: number; all: number }>();
  new Counter({
    name: 'orderly_cache_requests_total', help: 'Cache lookups by result: l1_hit, l2_hit, coalesced (joined a load in flight) or miss', labelNames: ['cache', 'result'] as const, registers: [registry],
    collect() {
      this.reset();
      for (const { cache, result, n } of lookups.values()) this.inc({ cache, result }, n);
    },
  });
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
      const key = `${cache} ${result}`;
      const counted = lookups.get(key);
      if (counted === undefined) lookups.set(key, { cache, result, n: 1 });
      else counted.n += 1;
      let t = totals.get(cache);
      if (!t) totals.set(cache, (t = { hits: 0, all: 0 }));
      t.all += 1;
      if (result !== 'miss') t.hits += 1;
    },
    loaded: (cache) => loads.inc({ cache }),
    sharedFailure: (cache) => failures.inc({ cache }),
  };
}
