import { LRUCache } from 'lru-cache';

/**
 * A bounded in-process cache for reads. A miss loads once for every concurrent caller (single-flight),
 * entries live for the TTL with ±10 % jitter so keys cached together do not expire together, and
 * `delete` guarantees that no load begun before it can put an older value back.
 */
export interface ReadCache<V> {
  get(key: string, load: () => Promise<V>): Promise<V>;
  delete(key: string): void;
}

export function createReadCache<V>(options: { max: number; ttlMs: number }): ReadCache<V> {
  if (options.ttlMs <= 0) return { get: (_key, load) => load(), delete: () => undefined };
  const values = new LRUCache<string, { value: V }>({ max: options.max, ttl: options.ttlMs });
  const loading = new Map<string, Promise<V>>();
  let epoch = 0;

  return {
    get(key, load) {
      const hit = values.get(key);
      if (hit) return Promise.resolve(hit.value);
      const pending = loading.get(key);
      if (pending) return pending;
      const startedAt = epoch;
      const promise = load()
        .then((value) => {
          if (epoch === startedAt) values.set(key, { value }, { ttl: Math.round(options.ttlMs * (0.9 + Math.random() * 0.2)) });
          return value;
        })
        .finally(() => {
          if (loading.get(key) === promise) loading.delete(key);
        });
      loading.set(key, promise);
      return promise;
    },
    delete(key) {
      epoch += 1;
      values.delete(key);
      loading.delete(key);
    },
  };
}
