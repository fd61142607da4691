import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../support/databases.js';
import { startApp, uniqueSku, type TestApp } from '../support/app.js';
import { idempotencyKey, placeOrder, waitForOrder, waitForShipment } from '../support/orders.js';

/** Sends the same POST twice with one key; the second must be the first, replayed byte for byte. */
async function expectReplayed(app: TestApp, path: string, body: unknown, token?: string) {
  const key = idempotencyKey();
  const headers = { 'idempotency-key': key };
  const first = await app.http.post(path, body, { token, headers });
  const second = await app.http.post(path, body, { token, headers });
  expect(second.status).toBe(first.status);
  expect(second.headers.get('idempotent-replayed')).toBe('true');
  expect(second.text).toBe(first.text);
  const changed = await app.http.post(path, { ...(body as object), extra: 'different' }, { token, headers });
  expect(changed.status).toBe(422);
  expect(changed.body.code).toBe('idempotency_key_reused');
  return first;
}

describe.each(databaseKinds)('Idempotency-Key on every POST on %s', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind);
  });
  afterAll(() => app.stop());

  it('signup: one account from a retried request, 409 while the first still runs', async () => {
    const email = `idem-${randomBytes(5).toString('hex')}@orderly.test`;
    const body = { email, password: 'long-enough-1', name: 'Twice' };
    const key = idempotencyKey();
    // Password hashing keeps the first request busy long enough for the second to find it in flight.
    const [a, b] = await Promise.all([
      app.http.post('/v1/auth/signup', body, { headers: { 'idempotency-key': key } }),
      app.http.post('/v1/auth/signup', body, { headers: { 'idempotency-key': key } }),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    expect([a, b].find((r) => r.status === 409)!.body.code).toBe('idempotency_key_in_use');
    const replay = await app.http.post('/v1/auth/signup', body, { headers: { 'idempotency-key': key } });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const login = await app.http.post('/v1/auth/login', { email, password: 'long-enough-1' });
    expect(login.body.user.id).toBe(replay.body.user.id);
  });

  it('stock adjustments: a retried adjustment moves stock once', async () => {
    const sku = uniqueSku('IDA');
    await app.product({ variants: [{ sku, price: { amount: 500, currency: 'USD' }, stock: 10 }] });
    const first = await expectReplayed(app, `/v1/inventory/${sku}/adjustments`, { delta: 5, reason: 'received' }, app.adminToken);
    expect(first.status).toBe(200);
    const level = await app.http.get(`/v1/inventory/${sku}`, { token: app.adminToken });
    expect(level.body.available).toBe(15);
  });

  it('product creation: a retried create makes one product', async () => {
    const sku = uniqueSku('IDP');
    const body = { title: 'Idempotent mug', category: 'kitchen', variants: [{ sku, price: { amount: 900, currency: 'USD' }, stock: 1 }] };
    const key = idempotencyKey();
    const first = await app.http.post('/v1/products', body, { token: app.adminToken, headers: { 'idempotency-key': key } });
    const again = await app.http.post('/v1/products', body, { token: app.adminToken, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    const mismatch = await app.http.post(
      '/v1/products',
      { ...body, title: 'Another mug' },
      { token: app.adminToken, headers: { 'idempotency-key': key } },
    );
    expect(mismatch.status).toBe(422);
  });

  it('order cancellation and shipment updates replay their first answer', async () => {
    const buyer = await app.customer();
    const product = await app.product({ variants: [{ sku: uniqueSku('IDC'), price: { amount: 700, currency: 'USD' }, stock: 5 }] });
    const variantId = product.variants[0].id;
    const toCancel = await placeOrder(app, buyer.token, { items: [{ variantId, quantity: 1 }] });
    await waitForOrder(app, buyer.token, toCancel.body.id, ['confirmed']);
    const cancel = await expectReplayed(app, `/v1/orders/${toCancel.body.id}/cancel`, {}, buyer.token);
    expect(cancel.status).toBe(202);

    const toShip = await placeOrder(app, buyer.token, { items: [{ variantId, quantity: 1 }] });
    const order = await waitForShipment(app, buyer.token, toShip.body.id);
    const moved = await expectReplayed(app, `/v1/shipments/${order.shipment.id}/status`, { status: 'in_transit' }, app.adminToken);
    expect(moved.status).toBe(200);
  });
});
