import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, startApp, type TestApp } from '../support/app.js';
import { createTestDatabase, databaseKinds } from '../support/databases.js';
import { httpClient } from '../support/http.js';
import { metricValue } from '../support/metrics.js';
import { eventually } from '../support/payment-sim.js';
import { freePort, startServer, type OrderlyProcess } from '../support/process.js';
import { redisAvailable, redisEnv, startOwnRedis } from '../support/redis.js';

const loads = (app: TestApp, cache: string) => metricValue(app.http, 'orderly_cache_loads_total', { cache });

describe.each(databaseKinds)('read caching on %s', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp(kind, {
      ORDERLY_READ_CACHE_TTL_MS: '60000',
      ORDERLY_CACHE_NEGATIVE_TTL_MS: '500',
      ORDERLY_SESSION_CACHE_TTL_MS: '60000',
    });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('turns a stampede of 1,000 concurrent reads of a cold product into one database read', async () => {
    const product = await app.product({ title: 'Stampede Kettle' });
    // The product.created event also invalidates the key; let that happen first so the key is really cold.
    await eventually(
      'the create event applied',
      async () => (await metricValue(app.http, 'orderly_messages_handled_total', { group: 'catalog.read-cache', outcome: 'applied' })) >= 1,
    );
    const before = await loads(app, 'products');
    const responses = await Promise.all(Array.from({ length: 1000 }, () => app.http.get(`/v1/products/${product.id}`)));
    expect(responses.every((r) => r.status === 200 && r.body.title === 'Stampede Kettle')).toBe(true);
    expect(new Set(responses.map((r) => r.headers.get('etag'))).size).toBe(1);
    expect((await loads(app, 'products')) - before).toBe(1);
    expect(await metricValue(app.http, 'orderly_cache_hit_ratio', { cache: 'products' })).toBeGreaterThan(0.9);
  });

  it('remembers an unknown id briefly, so a flood of them costs one read per TTL', async () => {
    const unknown = `prd_${'0'.repeat(31)}9`;
    const before = await loads(app, 'products');
    const first = await Promise.all(Array.from({ length: 50 }, () => app.http.get(`/v1/products/${unknown}`)));
    for (let i = 0; i < 20; i += 1) first.push(await app.http.get(`/v1/products/${unknown}`));
    expect(first.every((r) => r.status === 404 && r.headers.get('content-type')?.includes('application/problem+json'))).toBe(true);
    expect((await loads(app, 'products')) - before).toBe(1);
    await new Promise((r) => setTimeout(r, 700));
    expect((await app.http.get(`/v1/products/${unknown}`)).status).toBe(404);
    expect((await loads(app, 'products')) - before).toBe(2);
  });

  it('serves a changed product at once from the node that changed it', async () => {
    const product = await app.product({ title: 'Before Teapot' });
    expect((await app.http.get(`/v1/products/${product.id}`)).body.title).toBe('Before Teapot');
    expect((await app.http.patch(`/v1/products/${product.id}`, { title: 'After Teapot' }, { token: app.adminToken })).status).toBe(200);
    expect((await app.http.get(`/v1/products/${product.id}`)).body.title).toBe('After Teapot');
  });

  it('caches sessions, and a logout still stops the token at once', async () => {
    const customer = await app.customer();
    const before = await loads(app, 'sessions');
    for (let i = 0; i < 20; i += 1) expect((await app.http.get('/v1/me', { token: customer.token })).status).toBe(200);
    expect((await loads(app, 'sessions')) - before).toBe(1);
    expect((await app.http.post('/v1/auth/logout', undefined, { token: customer.token })).status).toBe(204);
    expect((await app.http.get('/v1/me', { token: customer.token })).status).toBe(401);
  });
});

describe.runIf(redisAvailable).each(databaseKinds)('caches shared through Redis on %s', (kind) => {
  it('invalidates a change on every node: two processes, one Redis, L1 TTL of a minute', async () => {
    const database = await createTestDatabase(kind);
    const common = {
      ...database.env,
      ...redisEnv('redis'),
      HOST: '127.0.0.1',
      ORDERLY_ADMIN_EMAIL: ADMIN.email,
      ORDERLY_ADMIN_PASSWORD: ADMIN.password,
      ORDERLY_READ_CACHE_TTL_MS: '60000',
      ORDERLY_SESSION_CACHE_TTL_MS: '60000',
    };
    const [portA, portB] = [await freePort(), await freePort()];
    const servers: OrderlyProcess[] = [];
    try {
      servers.push(await startServer({ ...common, PORT: String(portA) }));
      // B runs no consumers, so only the broadcast can tell it about a change.
      servers.push(await startServer({ ...common, PORT: String(portB), ORDERLY_ROLE: 'api' }));
      const a = httpClient(`http://127.0.0.1:${portA}`);
      const b = httpClient(`http://127.0.0.1:${portB}`);
      const admin = (await a.post('/v1/auth/login', ADMIN)).body.token as string;
      const created = await a.post(
        '/v1/products',
        {
          title: 'Shared Lamp',
          category: 'lighting',
          variants: [{ sku: `SHARED-${Date.now()}`, price: { amount: 100, currency: 'USD' } }],
        },
        { token: admin },
      );
      const id = created.body.id as string;
      // Whichever node consumes product.created invalidates the key everywhere; let that pass first.
      const handled = (node: typeof a) =>
        metricValue(node, 'orderly_messages_handled_total', { group: 'catalog.read-cache', outcome: 'applied' });
      await eventually('the create event applied', async () => (await handled(a)) >= 1);
      expect((await b.get(`/v1/products/${id}`)).body.title).toBe('Shared Lamp');
      // A's read is served from Redis (L2), filled by B.
      const l2Before = await metricValue(a, 'orderly_cache_requests_total', { cache: 'products', result: 'l2_hit' });
      expect((await a.get(`/v1/products/${id}`)).body.title).toBe('Shared Lamp');
      expect(await metricValue(a, 'orderly_cache_requests_total', { cache: 'products', result: 'l2_hit' })).toBe(l2Before + 1);

      expect((await a.patch(`/v1/products/${id}`, { title: 'Shared Lamp II' }, { token: admin })).status).toBe(200);
      await eventually('B to see the change', async () => (await b.get(`/v1/products/${id}`)).body.title === 'Shared Lamp II', 5_000);

      // A session cached on B is revoked by a logout on A.
      const token = (
        await a.post('/v1/auth/signup', { email: `shared-${Date.now()}@orderly.test`, password: 'correct-horse-1', name: 'Shared' })
      ).body.token as string;
      expect((await b.get('/v1/me', { token })).status).toBe(200);
      expect((await a.post('/v1/auth/logout', undefined, { token })).status).toBe(204);
      await eventually('B to refuse the revoked token', async () => (await b.get('/v1/me', { token })).status === 401, 5_000);
    } finally {
      for (const s of servers) {
        s.child.kill('SIGTERM');
        await s.exited;
      }
      await database.drop();
    }
  }, 60_000);

  it('keeps serving reads from the database when Redis is killed mid-test, and uses it again when it is back', async () => {
    const redis = await startOwnRedis();
    const app = await startApp(kind, { REDIS_URL: redis.url });
    try {
      const cached = await app.product({ title: 'Cached Vase' });
      const uncached = await app.product({ title: 'Uncached Vase' });
      expect((await app.http.get(`/v1/products/${cached.id}`)).status).toBe(200);
      await redis.kill();
      for (let i = 0; i < 20; i += 1) {
        expect((await app.http.get(`/v1/products/${cached.id}`)).body.title).toBe('Cached Vase');
        expect((await app.http.get(`/v1/products/${uncached.id}`)).body.title).toBe('Uncached Vase');
      }
      expect((await app.http.patch(`/v1/products/${uncached.id}`, { title: 'Changed Vase' }, { token: app.adminToken })).status).toBe(200);
      await eventually(
        'the change served',
        async () => (await app.http.get(`/v1/products/${uncached.id}`)).body.title === 'Changed Vase',
        5_000,
      );
      const customer = await app.customer();
      expect((await app.http.get('/v1/me', { token: customer.token })).status).toBe(200);
      expect(await metricValue(app.http, 'orderly_cache_shared_failures_total', { cache: 'products' })).toBeGreaterThan(0);

      await redis.restart();
      const { Redis } = await import('ioredis');
      const probe = new Redis(redis.url);
      try {
        await eventually(
          'products cached in Redis again',
          async () => {
            const other = await app.product({ title: 'Later Vase' });
            expect((await app.http.get(`/v1/products/${other.id}`)).status).toBe(200);
            return (await probe.exists(`orderly:cache:products:${other.id}`)) === 1;
          },
          15_000,
        );
      } finally {
        probe.disconnect();
      }
      expect((await app.http.get(`/v1/products/${cached.id}`)).status).toBe(200);
    } finally {
      await app.stop();
      await redis.kill();
    }
  }, 60_000);
});
