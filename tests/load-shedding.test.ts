import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from './support/databases.js';
import { startApp, uniqueSku, type TestApp } from './support/app.js';
import { placeOrder, waitForOrder } from './support/orders.js';

describe.each(databaseKinds)('priority load shedding on %s', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    // A low bound so a test-sized flood overloads the process: browse is admitted below 14 requests in
    // flight, login below 16, checkout below 20.
    app = await startApp(kind, { ORDERLY_SHED_MAX_IN_FLIGHT: '20' });
  });
  afterAll(() => app.stop());

  it('refuses browsing and logins with 503 and Retry-After under overload, while every checkout is accepted', async () => {
    const buyer = await app.customer();
    const product = await app.product({ variants: [{ sku: uniqueSku('SHED'), price: { amount: 1500, currency: 'USD' }, stock: 100 }] });
    const variantId = product.variants[0].id;

    let flooding = true;
    const statuses = { browse: [] as number[], login: [] as number[] };
    let retryAfter: string | null = null;
    let shedProblem: any = null;
    const pressures: number[] = [];
    const flood = (async () => {
      for (let wave = 0; (flooding || wave < 5) && wave < 40; wave += 1) {
        // Logins hash passwords off the event loop, so they stay in flight; reads then arrive on top of them.
        const logins = Array.from({ length: 30 }, () => app.http.post('/v1/auth/login', { email: buyer.email, password: 'correct-horse-1' }));
        await new Promise((r) => setTimeout(r, 30));
        const reads = Array.from({ length: 60 }, () => app.http.get('/v1/products?limit=100'));
        const ready = app.http.get('/readyz');
        for (const res of await Promise.all(reads)) {
          statuses.browse.push(res.status);
          if (res.status === 503) {
            retryAfter ??= res.headers.get('retry-after');
            shedProblem ??= res.body;
          }
        }
        for (const res of await Promise.all(logins)) statuses.login.push(res.status);
        pressures.push((await ready).body.load.inFlight);
      }
    })();

    const checkouts: number[] = [];
    const placed: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      const res = await placeOrder(app, buyer.token, { items: [{ variantId, quantity: 1 }] });
      checkouts.push(res.status);
      if (res.status === 202) placed.push(res.body.id);
      await new Promise((r) => setTimeout(r, 100));
    }
    flooding = false;
    await flood;

    expect(checkouts).toEqual(Array(10).fill(202));
    expect(statuses.browse.filter((s) => s === 503).length).toBeGreaterThan(0);
    expect(statuses.browse.every((s) => s === 200 || s === 503)).toBe(true);
    expect(statuses.login.every((s) => s === 200 || s === 503)).toBe(true);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(shedProblem).toMatchObject({ status: 503, code: 'unavailable' });
    expect(Math.max(...pressures)).toBeGreaterThan(0);

    const metrics = await app.http.get('/metrics');
    expect(metrics.text).toMatch(/orderly_requests_shed_total\{priority="browse"\} [1-9]/);
    expect(metrics.text).not.toMatch(/orderly_requests_shed_total\{priority="checkout"\}/);

    // Once the flood is over everything is served again, and the accepted orders complete.
    expect((await app.http.get('/v1/products')).status).toBe(200);
    const ready = await app.http.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.load.shedding).toEqual([]);
    for (const id of placed) await waitForOrder(app, buyer.token, id, ['confirmed'], 30_000);
  }, 120_000);
});
