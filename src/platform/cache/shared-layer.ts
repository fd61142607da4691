import type { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.js';
import type { CacheMetrics } from './metrics.js';

/**
 * The cache layer nodes share (L2). `get` resolves to undefined on a miss *and* on any failure: Redis only
 * ever makes reads cheaper, so when it is slow or gone the caller goes to the database, never to an error.
 */
export interface SharedLayer {
  get(cache: string, key: string): Promise<unknown>;
  set(cache: string, key: string, value: unknown, ttlMs: number): Promise<void>;
  delete(cache: string, key: string): Promise<void>;
}

const redisKey = (cache: string, key: string) => `orderly:cache:${cache}:${key}`;

/** L2 on Redis: values as JSON with a PX expiry. The client fails fast (no offline queue, short timeouts). */
export function redisSharedLayer(redis: Redis, metrics: CacheMetrics, logger: Logger): SharedLayer {
  const failed = (cache: string, op: string) => (error: unknown) => {
    metrics.sharedFailure(cache);
    logger.debug({ err: error, cache, op }, 'shared cache unavailable; using the database');
    return undefined;
  };
  return {
    get: (cache, key) =>
      redis.get(redisKey(cache, key)).then((text) => (text === null ? undefined : (JSON.parse(text) as unknown)), failed(cache, 'get')),
    set: (cache, key, value, ttlMs) =>
      redis.set(redisKey(cache, key), JSON.stringify(value), 'PX', ttlMs).then(() => undefined, failed(cache, 'set')),
    // A failed delete leaves an older value in L2 for at most its TTL; the event-driven invalidation tries again.
    delete: (cache, key) => redis.del(redisKey(cache, key)).then(() => undefined, failed(cache, 'delete')),
  };
}
