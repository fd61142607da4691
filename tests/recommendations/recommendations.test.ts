import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/app.js';
import { databaseKinds } from '../support/databases.js';
import { placeOrder, waitForOrder } from '../support/orders.js';
import { eventually } from '../support/payment-sim.js';
import { storageOf, tamper } from '../support/tamper.js';

const ids = (res: { body: { items: { id: string }[] } }) => res.body.items.map((i) => i.id);

describe.each(databaseKinds)('recommendations on %s', (kind) => {
  let app: TestApp;
  const products: Record<'a' | 'b' | 'c' | 'd', any> = {} as never;
  const recommendations = (id: string, headers: Record<string, string> = {}) =>
    app.http.get(`/v1/products/${id}/recommendations`, { headers });

  beforeAll(async () => {
    app = await startApp(kind);
    for (const name of ['a', 'b', 'c', 'd'] as const) products[name] = await app.product({ title: `Together ${name}` });
    const customer = await app.customer();
    const baskets = [['a', 'b'], ['a', 'b'], ['a', 'c'], ['b', 'd'], ['d']] as const;
    for (const basket of baskets) {
      const res = await placeOrder(app, customer.token, {
        items: basket.map((p) => ({ variantId: products[p].variants[0].id, quantity: 1 })),
      });
      expect(res.status).toBe(202);
      await waitForOrder(app, customer.token, res.body.id, ['confirmed']);
    }
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('recommends what was bought together, most often first, as cacheable public data', async () => {
    const a = await eventually('A’s recommendations', async () => {
      const res = await recommendations(products.a.id);
      return ids(res).length === 2 ? res : null;
    });
    expect(ids(a)).toEqual([products.b.id, products.c.id]);
    expect(a.body.items[0].title).toBe('Together b');
    expect(a.headers.get('cache-control')).toMatch(/^public/);
    expect((await recommendations(products.a.id, { 'if-none-match': a.headers.get('etag')! })).status).toBe(304);
    await eventually('B’s recommendations', async () => {
      const res = await recommendations(products.b.id);
      return JSON.stringify(ids(res)) === JSON.stringify([products.a.id, products.d.id]);
    });
    expect(ids(await app.http.get(`/v1/products/${products.a.id}/recommendations?limit=1`))).toEqual([products.b.id]);
    // Nothing bought with it, or no such product: an empty list; a malformed id is not a product.
    expect((await recommendations(`prd_${'0'.repeat(32)}`)).body).toEqual({ items: [] });
    expect((await recommendations('nonsense')).status).toBe(404);
    expect((await app.http.get(`/v1/products/${products.a.id}/recommendations?limit=99`)).status).toBe(400);
  });

  it('leaves out archived products', async () => {
    expect((await app.http.patch(`/v1/products/${products.c.id}`, { status: 'archived' }, { token: app.adminToken })).status).toBe(200);
    await eventually(
      'C gone from A’s recommendations',
      async () => JSON.stringify(ids(await recommendations(products.a.id))) === JSON.stringify([products.b.id]),
    );
  });

  // Only PostgreSQL can keep a query waiting without blocking the process (better-sqlite3 is synchronous).
  if (kind === 'postgres')
    it('answers an empty list within its timeout while the recommender is stuck behind a lock', async () => {
      const locker = new pg.Client({ connectionString: (app.orderly.config.database as { url: string }).url });
      await locker.connect();
      try {
        await locker.query('begin');
        await locker.query('lock table recommendation_pairs in access exclusive mode');
        const started = Date.now();
        const res = await recommendations(products.b.id);
        const elapsed = Date.now() - started;
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ items: [] });
        expect(res.headers.get('x-degraded')).toBe('recommendations');
        // The lock is held for seconds; the answer came well before it was released.
        expect(elapsed).toBeLessThan(1_500);
        await new Promise((r) => setTimeout(r, 1_000));
      } finally {
        await locker.query('rollback');
        await locker.end();
      }
      await eventually('recommendations back', async () => ids(await recommendations(products.b.id)).length === 2);
    });

  it('degrades to an empty list — never an error — while the recommender fails, opens its breaker, and recovers', async () => {
    await tamper(storageOf(app.orderly.config, 'orderly.db'), 'alter table recommendation_pairs rename to recommendation_pairs_away');
    try {
      for (let i = 0; i < 8; i += 1) {
        const res = await recommendations(products.b.id);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ items: [] });
        expect(res.headers.get('x-degraded')).toBe('recommendations');
        expect(res.headers.get('cache-control')).toBe('no-store');
      }
      const breakers = (await app.http.get('/v1/admin/breakers', { token: app.adminToken })).body.items;
      expect(breakers.find((b: { name: string }) => b.name === 'recommendations').state).toBe('open');
      // The product page itself is untouched.
      expect((await app.http.get(`/v1/products/${products.b.id}`)).status).toBe(200);
    } finally {
      await tamper(storageOf(app.orderly.config, 'orderly.db'), 'alter table recommendation_pairs_away rename to recommendation_pairs');
    }
    await eventually(
      'recommendations back after the breaker’s pause',
      async () => ids(await recommendations(products.b.id)).length === 2,
      15_000,
    );
  }, 30_000);
});
