import { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.js';

/**
 * A Redis connection for things Redis only speeds up or shares (rate-limit buckets): commands fail fast
 * instead of queueing while it is away, so a caller can fall back at once, and it reconnects by itself.
 */
export function createRedisClient(url: string, logger: Logger, name: string): Redis {
  const client = new Redis(url, {
    connectionName: `orderly-${name}`,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 250,
    connectTimeout: 1000,
    retryStrategy: (times) => Math.min(2000, 50 * 2 ** Math.min(times, 6)),
  });
  let healthy = true;
  client.on('error', (error: Error) => {
    if (healthy) logger.warn({ err: error, redis: name }, 'redis unavailable; falling back');
    healthy = false;
  });
  client.on('ready', () => {
    if (!healthy) logger.info({ redis: name }, 'redis reachable again');
    healthy = true;
  });
  return client;
}
