import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { startApp, type TestApp } from '../support/app.js';
import { freePort } from '../support/process.js';
import { bucketStores, flushRedis, redisEnv } from '../support/redis.js';

// login_ip is raised so runs against one Redis within a minute do not exhaust the loopback address's bucket.
const LIMITS = 'login=3/60,login_ip=1000/60,signup=2/60,browse=5/10';

function expectRateHeaders(res: { headers: Headers }, policy: string, remaining: number) {
  expect(res.headers.get('ratelimit-policy')).toContain(policy);
  expect(res.headers.get('ratelimit')).toMatch(new RegExp(`;r=${remaining};t=\\d+$`));
  expect(res.headers.get('x-ratelimit-remaining')).toBe(String(remaining));
  expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThan(0);
}

function expectLimited(res: { status: number; headers: Headers; body: any }) {
  expect(res.status).toBe(429);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body.code).toBe('rate_limited');
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
}

const email = () => `rl-${randomBytes(5).toString('hex')}@orderly.test`;

describe.each(bucketStores)('rate limits with %s buckets', (store) => {
  let app: TestApp;
  beforeAll(async () => {
    if (store === 'redis') await flushRedis();
    app = await startApp('sqlite', { ORDERLY_RATE_LIMITS: LIMITS, ...redisEnv(store) });
  });
  afterAll(async () => app?.stop());

  it('login is limited per account, with the IETF and X-RateLimit headers, and a 429 with Retry-After', async () => {
    const victim = email();
    for (let remaining = 2; remaining >= 0; remaining -= 1) {
      const res = await app.http.post('/v1/auth/login', { email: victim, password: 'wrong-password' });
      expect(res.status).toBe(401);
      expectRateHeaders(res, '"login";q=3;w=60', remaining);
      expect(res.headers.get('ratelimit')).toMatch(/^"login";/);
    }
    const limited = await app.http.post('/v1/auth/login', { email: victim.toUpperCase(), password: 'wrong-password' });
    expectLimited(limited);
    expect(limited.headers.get('ratelimit-policy')).toBe('"login_ip";q=1000;w=60, "login";q=3;w=60');

    // Another account from the same address is not locked out by the first one's bucket.
    const other = await app.http.post('/v1/auth/login', { email: email(), password: 'wrong-password' });
    expect(other.status).toBe(401);
  });

  it('a login that fails validation spends no account token', async () => {
    const res = await app.http.post('/v1/auth/login', { email: 42 });
    expect(res.status).toBe(400);
    expect(res.headers.get('ratelimit-policy')).toBe('"login_ip";q=1000;w=60');
  });

  it('browsing is limited per caller: signed-in by account, and admins not at all', async () => {
    const buyer = await app.http.post('/v1/auth/signup', { email: email(), password: 'long-enough-1', name: 'Browser' });
    const token = buyer.body.token;
    const seen: number[] = [];
    for (let i = 0; i < 7; i += 1) seen.push((await app.http.get('/v1/products', { token })).status);
    expect(seen.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(seen.slice(5)).toEqual([429, 429]);
    const limited = await app.http.get('/v1/products', { token });
    expectLimited(limited);
    expect(limited.headers.get('ratelimit-policy')).toBe('"browse";q=5;w=10');

    for (let i = 0; i < 7; i += 1) {
      const res = await app.http.get('/v1/products', { token: app.adminToken });
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit')).toBeNull();
    }

    // Operators' endpoints stay reachable: health and metrics are never limited.
    expect((await app.http.get('/healthz')).status).toBe(200);
    expect((await app.http.get('/metrics')).headers.get('ratelimit')).toBeNull();
  });

  it('signup is limited per address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      statuses.push((await app.http.post('/v1/auth/signup', { email: email(), password: 'long-enough-1', name: 'Rate Limited' })).status);
    }
    // The browsing test already spent one of the address's two signups.
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.at(-1)).toBe(429);
  });
});

describe.runIf(bucketStores.includes('redis'))('rate limits shared through Redis', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    await flushRedis();
    a = await startApp('sqlite', { ORDERLY_RATE_LIMITS: LIMITS, ...redisEnv('redis') });
    b = await startApp('sqlite', { ORDERLY_RATE_LIMITS: LIMITS, ...redisEnv('redis') });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  it('two processes spend from one bucket per account', async () => {
    const victim = email();
    expect((await a.http.post('/v1/auth/login', { email: victim, password: 'x' })).status).toBe(401);
    expect((await b.http.post('/v1/auth/login', { email: victim, password: 'x' })).status).toBe(401);
    expect((await a.http.post('/v1/auth/login', { email: victim, password: 'x' })).status).toBe(401);
    expectLimited(await b.http.post('/v1/auth/login', { email: victim, password: 'x' }));
  });
});

describe('rate limits when Redis is unreachable', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp('sqlite', { ORDERLY_RATE_LIMITS: LIMITS, REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
  });
  afterAll(async () => app?.stop());

  it("fall back to this process's buckets: requests succeed and are still limited", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await app.http.get('/v1/products')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });
});

describe('rate-limit configuration', () => {
  it('can be lifted entirely', async () => {
    const app = await startApp('sqlite', { ORDERLY_RATE_LIMITS: 'off' });
    try {
      for (let i = 0; i < 3; i += 1) {
        const res = await app.http.post('/v1/auth/login', { email: 'nobody@orderly.test', password: 'x' });
        expect(res.status).toBe(401);
        expect(res.headers.get('ratelimit')).toBeNull();
      }
    } finally {
      await app.stop();
    }
  });

  it('rejects a malformed or unknown class at start-up', () => {
    expect(() => loadConfig({ ORDERLY_RATE_LIMITS: 'login=five/60' })).toThrow(ConfigError);
    expect(() => loadConfig({ ORDERLY_RATE_LIMITS: 'checkuot=5/60' })).toThrow(/unknown class "checkuot"/);
  });
});
