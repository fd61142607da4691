import { Counter, Gauge, type Registry } from 'prom-client';

/** `coalesced`: a miss that joined a load already under way (single-flight). */
export type CacheResult = 'l1_hit' | 'l2_hit' | 'coalesced' | 'miss';

/** Hits, misses and loads per cache, and the hit ratio they make. */
export interface CacheMetrics {
  count(cache: string, result: CacheResult): void;
  /** One call of the loader: a database read. */
  loaded(cache: string): void;
  sharedFailure(cache: string): void;
  /** Every cache's lookups since start: hits (either layer, or joined a load) and misses, as the hit ratio counts them. */
  totals(): { hits: number; misses: number };
}

const RESULTS = ['l1_hit', 'l2_hit', 'coalesced', 'miss'] as const satisfies readonly CacheResult[];

export function createCacheMetrics(registry: Registry): CacheMetrics {
  // Lookups are counted in plain numbers and handed to prom-client when scraped: a labelled inc() per
  // lookup hashes its labels, which on a cached read shows in the profile.
  const lookups = new Map<string, Record<CacheResult, number>>();
  new Counter({
    name: 'orderly_cache_requests_total',
    help: 'Cache lookups by result: l1_hit, l2_hit, coalesced (joined a load in flight) or miss',
    labelNames: ['cache', 'result'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [cache, counts] of lookups)
        for (const result of RESULTS) if (counts[result] > 0) this.inc({ cache, result }, counts[result]);
    },
  });
  const loads = new Counter({
    name: 'orderly_cache_loads_total',
    help: 'Loader calls (database reads) behind each cache; single-flight makes a stampede one',
    labelNames: ['cache'] as const,
    registers: [registry],
  });
  const failures = new Counter({
    name: 'orderly_cache_shared_failures_total',
    help: 'Shared-layer (Redis) calls that failed or timed out; the cache went to the database instead',
    labelNames: ['cache'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'orderly_cache_hit_ratio',
    help: 'Hits (either layer) over lookups since start',
    labelNames: ['cache'] as const,
    registers: [registry],
    collect() {
      for (const [cache, counts] of lookups) {
        const all = RESULTS.reduce((sum, result) => sum + counts[result], 0);
        this.set({ cache }, all === 0 ? 0 : (all - counts.miss) / all);
      }
    },
  });
  return {
    count(cache, result) {
      let counts = lookups.get(cache);
      if (counts === undefined) lookups.set(cache, (counts = { l1_hit: 0, l2_hit: 0, coalesced: 0, miss: 0 }));
      counts[result] += 1;
    },
    loaded: (cache) => loads.inc({ cache }),
    sharedFailure: (cache) => failures.inc({ cache }),
    totals() {
      let hits = 0;
      let misses = 0;
      for (const counts of lookups.values()) {
        hits += counts.l1_hit + counts.l2_hit + counts.coalesced;
        misses += counts.miss;
      }
      return { hits, misses };
    },
  };
}
