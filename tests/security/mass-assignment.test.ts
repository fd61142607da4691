import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startApp, type TestApp } from '../support/app.js';
import { placeOrder } from '../support/orders.js';

// Keys no route expects are dropped before a handler runs, whatever a service does with its input: found
// by sending the fuzz suite's extra keys with otherwise valid bodies. Before, `userId` in an order's body
// placed the order in another customer's name, and any key in a product patch reached SQL as a column.
describe('keys a body may not carry', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp('sqlite');
  });
  afterAll(() => app?.stop());

  test("an order's body cannot name whose order it is", async () => {
    const product = await app.product();
    const buyer = await app.customer();
    const victim = await app.customer();
    const res = await placeOrder(app, buyer.token, { items: [{ variantId: product.variants[0].id, quantity: 1 }], userId: victim.id });
    expect(res.status, res.text).toBe(202);
    expect(res.body.userId).toBe(buyer.id);
    const victims = await app.http.get('/v1/orders', { token: victim.token });
    expect(victims.body.items).toEqual([]);
  });

  test('a signup cannot choose its role', async () => {
    const res = await app.http.post('/v1/auth/signup', {
      email: 'climber@orderly.test',
      password: 'long-enough-pw-9',
      name: 'C',
      role: 'admin',
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body.user.role).toBe('customer');
    const admin = await app.http.get('/v1/admin/dlq', { token: res.body.token });
    expect(admin.status).toBe(403);
  });

  test('a product patch with keys that are not fields changes only the fields, and never errs', async () => {
    const product = await app.product();
    const admin = { token: app.adminToken };
    for (const extra of [{ a: 'x' }, { id: 'prd_forged' }, { created_at: '1970-01-01T00:00:00Z' }, { 'title" = 1 --': 'x' }]) {
      const res = await app.http.patch(`/v1/products/${product.id}`, { description: 'patched', ...extra }, admin);
      expect(res.status, `${JSON.stringify(extra)}: ${res.text}`).toBe(200);
      expect(res.body.id).toBe(product.id);
      expect(res.body.createdAt).toBe(product.createdAt);
      expect(res.body.description).toBe('patched');
    }
    const variantPatch = { variants: [{ id: product.variants[0].id, sku: 'FORGED-SKU', price: { amount: 1300, currency: 'USD' } }] };
    const res = await app.http.patch(`/v1/products/${product.id}`, variantPatch, admin);
    expect(res.status, res.text).toBe(200);
    expect(res.body.variants[0].sku).toBe(product.variants[0].sku);
    expect(res.body.variants[0].price.amount).toBe(1300);
  });
});
