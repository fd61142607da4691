import type { Registry } from 'prom-client';
import type { Logger } from '../observability/logger.js';
import { createRedisClient } from '../redis/client.js';
import { createCache, type Cache, type CacheOptions } from './cache.js';
import { createCacheMetrics } from './metrics.js';
import { redisSharedLayer } from './shared-layer.js';

const CHANNEL = 'orderly:cache:invalidate';

/** Makes the process's caches, and carries invalidations between nodes. */
export interface Caches {
  create<V>(options: CacheOptions): Cache<V>;
  /** Lookups of every cache of this process since start. */
  lookups(): { hits: number; misses: number };
  close(): Promise<void>;
}

/**
 * Without Redis every cache is L1 only and an invalidation is local (other processes see a change
 * within the L1 TTL). With Redis, L2 is shared and every invalidation is published on one channel that
 * each node subscribes to; a node that lost its subscription clears its L1 when it is back, since it may
 * have missed broadcasts meanwhile.
 */
export function createCaches(deps: { redisUrl: string | null; registry: Registry; logger: Logger }): Caches {
  const metrics = createCacheMetrics(deps.registry);
  const byName = new Map<string, Cache<unknown>>();
  const redis = deps.redisUrl === null ? null : createRedisClient(deps.redisUrl, deps.logger, 'cache');
  const subscriber = deps.redisUrl === null ? null : createRedisClient(deps.redisUrl, deps.logger, 'cache-invalidation');
  const shared = redis ? redisSharedLayer(redis, metrics, deps.logger) : null;

  if (subscriber) {
    subscriber.on('ready', () => {
      for (const cache of byName.values()) cache.clearLocally();
      subscriber.subscribe(CHANNEL).catch((error: unknown) => deps.logger.warn({ err: error }, 'cache invalidation subscribe failed'));
    });
    subscriber.on('message', (_channel: string, text: string) => {
      try {
        const { cache, key } = JSON.parse(text) as { cache: string; key: string };
        byName.get(cache)?.forgetLocally(key);
      } catch (error) {
        deps.logger.warn({ err: error }, 'malformed cache invalidation ignored');
      }
    });
  }

  const broadcast = async (cache: string, key: string): Promise<void> => {
    if (!redis) return;
    await redis.publish(CHANNEL, JSON.stringify({ cache, key })).then(
      () => undefined,
      () => metrics.sharedFailure(cache),
    );
  };

  return {
    create<V>(options: CacheOptions): Cache<V> {
      if (byName.has(options.name)) throw new Error(`cache ${options.name} created twice`);
      const cache = createCache<V>(options, { shared, metrics, broadcast });
      byName.set(options.name, cache as Cache<unknown>);
      return cache;
    },
    lookups: () => metrics.totals(),
    async close() {
      subscriber?.disconnect();
      redis?.disconnect();
    },
  };
}
