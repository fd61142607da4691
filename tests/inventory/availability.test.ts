import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../support/databases.js';
import { startApp, uniqueSku, type TestApp } from '../support/app.js';

describe.each(databaseKinds)('public stock availability on %s', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind);
  });
  afterAll(() => app.stop());

  it('tells anyone how many of each SKU can still be bought, and nothing of the back office', async () => {
    const [a, b] = [uniqueSku('AV'), uniqueSku('AV')];
    await app.product({
      variants: [
        { sku: a, price: { amount: 500, currency: 'USD' }, stock: 3 },
        { sku: b, price: { amount: 500, currency: 'USD' }, stock: 0 },
      ],
    });
    const res = await app.http.get(`/v1/stock?sku=${a}&sku=${b}&sku=${uniqueSku('NONE')}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=5');
    expect([...res.body.items].sort((x: any, y: any) => x.sku.localeCompare(y.sku))).toEqual(
      [
        { sku: a, available: 3 },
        { sku: b, available: 0 },
      ].sort((x, y) => x.sku.localeCompare(y.sku)),
    );
    const one = await app.http.get(`/v1/stock?sku=${a}`);
    expect(one.body.items).toEqual([{ sku: a, available: 3 }]);
  });

  it('refuses a request without SKUs or with a malformed one as problem+json', async () => {
    for (const query of ['', '?sku=', '?sku=%20bad', `?${Array.from({ length: 51 }, (_, i) => `sku=S${i}`).join('&')}`]) {
      const res = await app.http.get(`/v1/stock${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
  });
});
