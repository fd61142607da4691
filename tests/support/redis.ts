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

/** Whether this run has Redis (CI always does): the suites that share or kill Redis need it. */
export const redisAvailable = redisUrl !== undefined;

/** A Redis of the test's own, on a free loopback port, that it may kill and bring back. */
export interface OwnRedis {
  url: string;
  kill(): Promise<void>;
  restart(): Promise<void>;
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const { spawn } = await import('node:child_process');
  const { freePort } = await import('./process.js');
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: import('node:child_process').ChildProcess;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const { Redis } = await import('ioredis');
    const deadline = Date.now() + 10_000;
    for (;;) {
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch (error) {
        probe.disconnect();
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  await start();
  return {
    url,
    async kill() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
    restart: start,
  };
}
