import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/app.js';
import { databaseKinds } from '../support/databases.js';
import { placeOrder, waitForOrder } from '../support/orders.js';
import { eventually } from '../support/payment-sim.js';
import { startReceiver, type Receiver } from '../support/receiver.js';

const MAIN_ROUTES = [
  'POST /v1/orders',
  'GET /v1/orders/{id}',
  'GET /v1/products',
  'GET /v1/products/{id}',
  'GET /v1/search',
  'POST /v1/cart/items',
];

const sum = (minutes: any[], key: 'placed' | 'confirmed' | 'cancelled') => minutes.reduce((n, m) => n + m[key], 0);

describe.each(databaseKinds)('operations summary on %s', (kind) => {
  let app: TestApp;
  let healthy: Receiver;
  let failing: Receiver;
  const admin = () => ({ token: app.adminToken });
  const summary = async () => {
    const res = await app.http.get('/v1/admin/summary', admin());
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };

  beforeAll(async () => {
    healthy = await startReceiver();
    failing = await startReceiver(() => ({ status: 500 }));
    app = await startApp(kind, { ORDERLY_WEBHOOK_ALLOW_PRIVATE: 'true', ORDERLY_WEBHOOK_RETRY_SCHEDULE: '50ms' });
  });

  afterAll(async () => {
    await app?.stop();
    await healthy?.close();
    await failing?.close();
  });

  it('is for admins only: 401 without a token, 403 for a customer, as problem+json', async () => {
    const anonymous = await app.http.get('/v1/admin/summary');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toContain('application/problem+json');
    expect(anonymous.body.code).toBe('unauthorized');
    const customer = await app.customer();
    const refused = await app.http.get('/v1/admin/summary', { token: customer.token });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('forbidden');
  });

  it('starts empty: 30 minutes of zeros ending now, no orders, no attempts', async () => {
    const s = await summary();
    expect(Date.parse(s.generatedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(s.orders.perMinute).toHaveLength(30);
    const minutes = s.orders.perMinute.map((m: any) => Date.parse(m.minute));
    for (let i = 1; i < minutes.length; i += 1) expect(minutes[i] - minutes[i - 1]).toBe(60_000);
    expect(minutes[29]).toBe(Math.floor(Date.parse(s.generatedAt) / 60_000) * 60_000);
    expect(s.orders.perMinute.every((m: any) => m.placed === 0 && m.confirmed === 0 && m.cancelled === 0)).toBe(true);
    expect(s.orders.byStatus).toEqual({ pending: 0, confirmed: 0, shipped: 0, delivered: 0, cancelled: 0 });
    expect(s.latency.map((l: any) => l.route)).toEqual(expect.arrayContaining(MAIN_ROUTES));
    expect(s.latency.find((l: any) => l.route === 'POST /v1/orders')).toEqual({
      route: 'POST /v1/orders',
      count: 0,
      p50Ms: null,
      p99Ms: null,
    });
    expect(s.webhooks).toEqual({ attempts: 0, succeeded: 0, successRatio: null });
    expect(s.deadLetters).toEqual({ count: 0 });
    expect(s.messaging.groups.map((g: any) => g.group)).toEqual(expect.arrayContaining(['search', 'webhooks', 'notifications']));
    for (const g of s.messaging.groups) {
      expect(g.backlog).toBeGreaterThanOrEqual(0);
      if (g.backlog === 0) expect(g.oldestAgeSeconds).toBeNull();
    }
    const breakers = (await app.http.get('/v1/admin/breakers', admin())).body.items;
    expect(s.breakers).toEqual(breakers.map((b: any) => ({ name: b.name, state: b.state, since: b.since })));
    expect(s.breakers.map((b: any) => b.name)).toContain('recommendations');
  });

  it('counts placed, confirmed and cancelled orders in their minutes, the route latency, webhook attempts, a dead letter and cache hits', async () => {
    const before = await summary();
    const good = await (await app.http.post('/v1/webhooks/endpoints', { url: healthy.url, events: ['order.confirmed'] }, admin())).body;
    const bad = await (await app.http.post('/v1/webhooks/endpoints', { url: failing.url, events: ['order.cancelled'] }, admin())).body;
    expect(good.id).toBeDefined();
    expect(bad.id).toBeDefined();

    const product = await app.product({ title: 'Summary mug' });
    const variantId = product.variants[0].id;
    // Two reads of one product: the second is served by the cache.
    for (let i = 0; i < 2; i += 1) expect((await app.http.get(`/v1/products/${product.id}`)).status).toBe(200);
    const customer = await app.customer();
    const confirmed = await placeOrder(app, customer.token, { items: [{ variantId, quantity: 1 }] });
    const declined = await placeOrder(app, customer.token, { items: [{ variantId, quantity: 1 }], paymentToken: 'tok_declined' });
    expect([confirmed.status, declined.status]).toEqual([202, 202]);
    await waitForOrder(app, customer.token, confirmed.body.id, ['confirmed']);
    const cancelled = await waitForOrder(app, customer.token, declined.body.id, ['cancelled']);
    expect(cancelled.cancellationReason).toBe('payment_declined');

    // The declined order's webhook fails twice (the first try and one retry) and is dead-lettered.
    const after = await eventually('the webhook attempts and the dead letter', async () => {
      const s = await summary();
      return s.webhooks.attempts === 3 && s.deadLetters.count === 1 ? s : null;
    });
    expect(healthy.received).toHaveLength(1);
    expect(failing.received).toHaveLength(2);
    expect(after.webhooks).toEqual({ attempts: 3, succeeded: 1, successRatio: 0.3333 });

    const minutes = after.orders.perMinute;
    expect(minutes).toHaveLength(30);
    expect(sum(minutes, 'placed') - sum(before.orders.perMinute, 'placed')).toBe(2);
    expect(sum(minutes, 'confirmed') - sum(before.orders.perMinute, 'confirmed')).toBe(1);
    expect(sum(minutes, 'cancelled') - sum(before.orders.perMinute, 'cancelled')).toBe(1);
    // Both were placed and settled in the last minute or two, and counted in those minutes only.
    const placedAt = Date.parse(confirmed.body.createdAt);
    const placedMinute = minutes.find((m: any) => m.placed > 0);
    expect(Date.parse(placedMinute.minute)).toBeLessThanOrEqual(placedAt);
    expect(Date.parse(placedMinute.minute) + 60_000 + 60_000).toBeGreaterThan(placedAt);
    expect(after.orders.byStatus).toEqual({ pending: 0, confirmed: 1, shipped: 0, delivered: 0, cancelled: 1 });

    const posted = after.latency.find((l: any) => l.route === 'POST /v1/orders');
    expect(posted.count).toBe(2);
    expect(posted.p50Ms).toBeGreaterThan(0);
    expect(posted.p99Ms).toBeGreaterThanOrEqual(posted.p50Ms);
    const polled = after.latency.find((l: any) => l.route === 'GET /v1/orders/{id}');
    expect(polled.count).toBeGreaterThanOrEqual(2);
    expect(after.latency.find((l: any) => l.route === 'GET /v1/products/{id}').count).toBe(2);

    expect(after.cache.hits).toBeGreaterThan(before.cache.hits);
    expect(after.cache.misses).toBeGreaterThanOrEqual(before.cache.misses);
    expect(after.cache.hitRatio).toBeCloseTo(after.cache.hits / (after.cache.hits + after.cache.misses), 3);
  });
});
