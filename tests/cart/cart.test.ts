import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../support/databases.js';
import { startApp, uniqueSku, type TestApp } from '../support/app.js';

describe.each(databaseKinds)('cart on %s', (kind) => {
  let app: TestApp;
  let mug: any;
  let plate: any;
  beforeAll(async () => {
    app = await startApp(kind);
    mug = await app.product({
      title: 'Mug',
      variants: [{ sku: uniqueSku('MUG'), title: 'Blue', price: { amount: 1500, currency: 'USD' }, stock: 10 }],
    });
    plate = await app.product({
      title: 'Plate',
      variants: [{ sku: uniqueSku('PLT'), price: { amount: 900, currency: 'USD' }, stock: 10 }],
    });
  });
  afterAll(() => app.stop());

  const mugId = () => mug.variants[0].id as string;
  const plateId = () => plate.variants[0].id as string;

  it('starts empty at version 0, and is private', async () => {
    const { token } = await app.customer();
    const res = await app.http.get('/v1/cart', { token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [], subtotal: { amount: 0, currency: 'USD' }, version: 0 });
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    expect((await app.http.get('/v1/cart')).status).toBe(401);
  });

  it('adds to lines, prices them through the catalog, and bumps the version on every write', async () => {
    const { token } = await app.customer();
    const one = await app.http.post('/v1/cart/items', { variantId: mugId(), quantity: 2 }, { token });
    expect(one.status).toBe(200);
    expect(one.body).toEqual({
      items: [
        {
          variantId: mugId(),
          sku: mug.variants[0].sku,
          title: 'Mug — Blue',
          quantity: 2,
          unitPrice: { amount: 1500, currency: 'USD' },
          purchasable: true,
        },
      ],
      subtotal: { amount: 3000, currency: 'USD' },
      version: 1,
    });
    const two = await app.http.post('/v1/cart/items', { variantId: mugId(), quantity: 1 }, { token });
    expect(two.body.items[0].quantity).toBe(3);
    expect(two.body.version).toBe(2);
    const three = await app.http.post('/v1/cart/items', { variantId: plateId(), quantity: 4 }, { token });
    expect(three.body.items.map((i: any) => [i.title, i.quantity])).toEqual([
      ['Mug — Blue', 3],
      ['Plate', 4],
    ]);
    expect(three.body.subtotal).toEqual({ amount: 3 * 1500 + 4 * 900, currency: 'USD' });
    expect(three.body.version).toBe(3);
    expect(three.headers.get('etag')).toBe('"3"');
  });

  it('sets, removes and clears lines', async () => {
    const { token } = await app.customer();
    await app.http.post('/v1/cart/items', { variantId: mugId(), quantity: 2 }, { token });
    await app.http.post('/v1/cart/items', { variantId: plateId(), quantity: 1 }, { token });
    const set = await app.http.put(`/v1/cart/items/${mugId()}`, { quantity: 7 }, { token });
    expect(set.body.items.find((i: any) => i.variantId === mugId()).quantity).toBe(7);
    const zero = await app.http.put(`/v1/cart/items/${plateId()}`, { quantity: 0 }, { token });
    expect(zero.body.items.map((i: any) => i.variantId)).toEqual([mugId()]);
    const removed = await app.http.delete(`/v1/cart/items/${mugId()}`, { token });
    expect(removed.status).toBe(200);
    expect(removed.body.items).toEqual([]);
    await app.http.post('/v1/cart/items', { variantId: plateId(), quantity: 1 }, { token });
    const cleared = await app.http.delete('/v1/cart', { token });
    expect(cleared.status).toBe(204);
    const after = await app.http.get('/v1/cart', { token });
    expect(after.body.items).toEqual([]);
    expect(after.body.version).toBeGreaterThan(removed.body.version);
  });

  it('keeps carts per user', async () => {
    const a = await app.customer();
    const b = await app.customer();
    await app.http.post('/v1/cart/items', { variantId: mugId(), quantity: 1 }, { token: a.token });
    expect((await app.http.get('/v1/cart', { token: b.token })).body.items).toEqual([]);
  });

  it('refuses bad input with 400 and unknown variants with 404, changing nothing', async () => {
    const { token } = await app.customer();
    await app.http.post('/v1/cart/items', { variantId: mugId(), quantity: 1 }, { token });
    for (const body of [
      { variantId: mugId(), quantity: 0 },
      { variantId: mugId(), quantity: 101 },
      { variantId: mugId() },
      { quantity: 1 },
      { variantId: mugId(), quantity: 1.5 },
      { variantId: mugId(), quantity: '2' },
    ]) {
      const res = await app.http.post('/v1/cart/items', body, { token });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
    const unknown = await app.http.post('/v1/cart/items', { variantId: 'var_0000000000000000000000000000dead', quantity: 1 }, { token });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('not_found');
    expect((await app.http.put(`/v1/cart/items/${mugId()}`, { quantity: -1 }, { token })).status).toBe(400);
    expect((await app.http.put('/v1/cart/items/var_0000000000000000000000000000dead', { quantity: 1 }, { token })).status).toBe(404);
    const cart = await app.http.get('/v1/cart', { token });
    expect(cart.body.version).toBe(1);
    expect(cart.body.items.map((i: any) => i.quantity)).toEqual([1]);
  });

  it('caps a line at 100 units with 409 cart_quantity_limit', async () => {
    const { token } = await app.customer();
    await app.http.post('/v1/cart/items', { variantId: mugId(), quantity: 60 }, { token });
    const over = await app.http.post('/v1/cart/items', { variantId: mugId(), quantity: 41 }, { token });
    expect(over.status).toBe(409);
    expect(over.body.code).toBe('cart_quantity_limit');
    const cart = await app.http.get('/v1/cart', { token });
    expect(cart.body.items[0].quantity).toBe(60);
    expect(cart.body.version).toBe(1);
  });

  it('shows the current catalog price, flags archived products, and refuses to add them', async () => {
    const { token } = await app.customer();
    const bowl = await app.product({ title: 'Bowl', variants: [{ sku: uniqueSku('BWL'), price: { amount: 700, currency: 'USD' } }] });
    const bowlId = bowl.variants[0].id;
    await app.http.post('/v1/cart/items', { variantId: bowlId, quantity: 2 }, { token });
    await app.http.patch(
      `/v1/products/${bowl.id}`,
      { variants: [{ id: bowlId, price: { amount: 650, currency: 'USD' } }] },
      { token: app.adminToken },
    );
    const repriced = await app.http.get('/v1/cart', { token });
    expect(repriced.body.items[0].unitPrice.amount).toBe(650);
    expect(repriced.body.subtotal.amount).toBe(1300);
    await app.http.patch(`/v1/products/${bowl.id}`, { status: 'archived' }, { token: app.adminToken });
    expect((await app.http.get('/v1/cart', { token })).body.items[0].purchasable).toBe(false);
    const add = await app.http.post('/v1/cart/items', { variantId: bowlId, quantity: 1 }, { token });
    expect(add.status).toBe(409);
    expect(add.body.code).toBe('product_unavailable');
  });

  it('refuses to mix currencies in one cart with 409 currency_mismatch', async () => {
    const { token } = await app.customer();
    const euro = await app.product({ variants: [{ sku: uniqueSku('EUR'), price: { amount: 100, currency: 'EUR' } }] });
    await app.http.post('/v1/cart/items', { variantId: mugId(), quantity: 1 }, { token });
    const res = await app.http.post('/v1/cart/items', { variantId: euro.variants[0].id, quantity: 1 }, { token });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('currency_mismatch');
  });

  it('honours If-Match: a write against a stale version is 412 and changes nothing', async () => {
    const { token } = await app.customer();
    const first = await app.http.post('/v1/cart/items', { variantId: mugId(), quantity: 1 }, { token });
    const etag = first.headers.get('etag')!;
    const ok = await app.http.post('/v1/cart/items', { variantId: plateId(), quantity: 1 }, { token, headers: { 'if-match': etag } });
    expect(ok.status).toBe(200);
    const stale = await app.http.put(`/v1/cart/items/${mugId()}`, { quantity: 9 }, { token, headers: { 'if-match': etag } });
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('cart_version_mismatch');
    expect((await app.http.get('/v1/cart', { token })).body.items.find((i: any) => i.variantId === mugId()).quantity).toBe(1);
    expect((await app.http.delete('/v1/cart', { token, headers: { 'if-match': 'garbage' } })).status).toBe(400);
  });

  it('loses no update when many writes to one cart race', async () => {
    const { token } = await app.customer();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => app.http.post('/v1/cart/items', { variantId: mugId(), quantity: 1 }, { token })),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    const cart = await app.http.get('/v1/cart', { token });
    expect(cart.body.items[0].quantity).toBe(20);
    expect(cart.body.version).toBe(20);
  });
});
