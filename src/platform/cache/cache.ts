import { LRUCache } from 'lru-cache';
import type { CacheMetrics } from './metrics.js';
import type { SharedLayer } from './shared-layer.js';

/**
 * Cache-aside over a loader, in two layers: an in-process LRU (L1) and, when configured, a shared store
 * (L2, Redis). A miss loads once for every concurrent caller (single-flight); `null` — "no such thing" —
 * is cached too, briefly, so a flood of unknown keys cannot reach the database; every TTL gets ±10 %
 * jitter so keys cached together do not expire together.
 */
export interface Cache<V> {
  readonly name: string;
  get(key: string, load: () => Promise<V | null>): Promise<V | null>;
  /**
   * What this process holds for the key (L1), boxed so a cached "not found" is told apart from nothing
   * held; counted as a hit. A hot read answers from it without a promise.
   */
  peek(key: string): { value: V | null } | undefined;
  /** Forgets the key here, in L2, and on every other node (via the invalidation broadcast). */
  invalidate(key: string): Promise<void>;
  /** Forgets the key in this process only: what a broadcast from another node asks for. */
  forgetLocally(key: string): void;
  /** Drops every L1 entry: after missing broadcasts (the shared layer was away), nothing local can be trusted. */
  clearLocally(): void;
}

export interface CacheOptions {
  name: string;
  max: number;
  ttlMs: number;
  /** How long "not found" is remembered. */
  negativeTtlMs: number;
  /** How long an entry lives in the shared layer (defaults to ttlMs). */
  sharedTtlMs?: number;
}

export interface CacheDeps {
  shared: SharedLayer | null;
  metrics: CacheMetrics;
  broadcast(cache: string, key: string): Promise<void>;
}

const jitter = (ms: number) => Math.max(1, Math.round(ms * (0.9 + Math.random() * 0.2)));

export function createCache<V>(options: CacheOptions, deps: CacheDeps): Cache<V> {
  const { name } = options;
  // Values are boxed so a cached null ("not found") is told apart from a miss.
  const local = new LRUCache<string, { value: V | null }>({ max: options.max, ttl: options.ttlMs });
  const loading = new Map<string, Promise<V | null>>();
  const shared = options.ttlMs > 0 ? deps.shared : null;
  const sharedTtlMs = options.sharedTtlMs ?? options.ttlMs;
  // Bumped by every invalidation: a load begun before one must not put its older value back.
  let epoch = 0;

  async function fill(key: string, load: () => Promise<V | null>): Promise<V | null> {
    const startedAt = epoch;
    const fromShared = shared ? await shared.get(name, key) : undefined;
    if (fromShared !== undefined) {
      deps.metrics.count(name, 'l2_hit');
      const value = fromShared as V | null;
      if (epoch === startedAt) local.set(key, { value }, { ttl: jitter(value === null ? options.negativeTtlMs : options.ttlMs) });
      return value;
    }
    deps.metrics.count(name, 'miss');
    deps.metrics.loaded(name);
    const value = await load();
    if (epoch === startedAt) {
      const ttl = jitter(value === null ? options.negativeTtlMs : options.ttlMs);
      local.set(key, { value }, { ttl });
      if (shared) void shared.set(name, key, value, value === null ? ttl : jitter(sharedTtlMs));
    }
    return value;
  }

  const forgetLocally = (key: string) => {
    epoch += 1;
    local.delete(key);
    loading.delete(key);
  };

  function peek(key: string): { value: V | null } | undefined {
    if (options.ttlMs <= 0) return undefined;
    const hit = local.get(key);
    if (hit) deps.metrics.count(name, 'l1_hit');
    return hit;
  }

  return {
    name,
    peek,
    get(key, load) {
      if (options.ttlMs <= 0) {
        deps.metrics.count(name, 'miss');
        deps.metrics.loaded(name);
        return load();
      }
      const hit = peek(key);
      if (hit) return Promise.resolve(hit.value);
      const pending = loading.get(key);
      if (pending) {
        deps.metrics.count(name, 'coalesced');
        return pending;
      }
      const promise = fill(key, load).finally(() => {
        if (loading.get(key) === promise) loading.delete(key);
      });
      loading.set(key, promise);
      return promise;
    },
    async invalidate(key) {
      forgetLocally(key);
      if (shared) await shared.delete(name, key);
      await deps.broadcast(name, key);
    },
    forgetLocally,
    clearLocally() {
      epoch += 1;
      local.clear();
      loading.clear();
    },
  };
}
