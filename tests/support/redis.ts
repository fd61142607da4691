const redisUrl = process.env.ORDERLY_TEST_REDIS_URL;
if (process.env.CI && !redisUrl) {
  throw new Error('CI must run the rate-limit suite on Redis too: set ORDERLY_TEST_REDIS_URL (.ci/run does)');
}

export type BucketStoreKind = 'memory' | 'redis';

/** In-process buckets always; Redis when ORDERLY_TEST_REDIS_URL names a server the tests may use. */
export const bucketStores: BucketStoreKind[] = redisUrl ? ['memory', 'redis'] : ['memory'];

/**
 * Empties the test Redis: buckets outlive an app (the admin's login bucket would run dry across apps
 * and runs), and only the rate-limit suite uses this server.
 */
export async function flushRedis(): Promise<void> {
  const { Redis } = await import('ioredis');
  const client = new Redis(redisUrl!);
  await client.flushall();
  client.disconnect();
}

export function redisEnv(kind: BucketStoreKind): Record<string, string> {
  return kind === 'redis' ? { REDIS_URL: redisUrl! } : {};
}
